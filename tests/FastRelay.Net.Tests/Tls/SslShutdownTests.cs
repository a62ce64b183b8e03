using System.Net.Security;
using System.Security.Authentication;
using FastRelay.Configuration;
using FastRelay.TestKit;
using FastRelay.Tls;
using FastRelay.Tls.Native;

namespace FastRelay.Net.Tests.Tls;

/// <summary>
/// <see cref="SslShutdown"/> takes the lock SslStream decrypts under: proven by holding it and watching a read wait,
/// and a close_notify sent under it while the other side keeps writing ends that direction cleanly.
/// </summary>
public sealed class SslShutdownTests(PkiFixture fixture) : IClassFixture<PkiFixture>
{
    private readonly TestCertificates _pki = fixture.Pki;

    [Fact]
    public async Task DecryptionWaitsForTheLockSslShutdownTakes()
    {
        Assert.True(SslShutdown.Serialized, "SslStream's decryption lock was not found on this runtime");
        var (server, client) = await PairAsync();
        using (server)
        using (client)
        {
            var buffer = new byte[16];
            var reading = server.ReadAsync(buffer).AsTask();
            var gate = SslShutdown.LockOf(server)!;
            Task writing;
            var contended = Monitor.LockContentionCount;
            Monitor.Enter(gate);
            try
            {
                writing = Task.Run(async () => await client.WriteAsync("held"u8.ToArray()));
                // The record arrives and its decryption waits for the lock held here (it contends for it).
                Assert.True(SpinWait.SpinUntil(() => Monitor.LockContentionCount > contended, TimeSpan.FromSeconds(10)), "nothing waited for the lock");
                Thread.Sleep(100);
                Assert.False(reading.IsCompleted, "the read completed while SslStream's decryption lock was held elsewhere");
            }
            finally
            {
                Monitor.Exit(gate);
            }

            Assert.Equal(4, await reading.WithTimeout());
            Assert.Equal("held"u8.ToArray(), buffer[..4]);
            await writing.WithTimeout();
        }
    }

    [Fact]
    public async Task CloseNotifyWhileThePeerKeepsWriting_ThatDirectionEndsCleanly_TheOtherFlowsOn()
    {
        var (server, client) = await PairAsync();
        using (server)
        using (client)
        {
            var upload = new byte[4 << 20];
            Random.Shared.NextBytes(upload);
            var received = new MemoryStream();
            var draining = server.CopyToAsync(received); // Decrypting while the close_notify goes out.
            var uploading = Task.Run(async () =>
            {
                for (var offset = 0; offset < upload.Length; offset += 16_384)
                {
                    await client.WriteAsync(upload.AsMemory(offset, 16_384));
                }
            });

            await SslShutdown.ShutdownAsync(server).WithTimeout();
            var rest = new byte[1];
            Assert.Equal(0, await client.ReadAsync(rest).AsTask().WithTimeout()); // close_notify: EOF, not an error.
            await uploading.WithTimeout();
            await client.ShutdownAsync();
            await draining.WithTimeout();
            Assert.Equal(upload, received.ToArray());
        }
    }

    private async Task<(SslStream Server, SslStream Client)> PairAsync()
    {
        var errors = new List<string>();
        var options = new TlsOptions { CertificateFile = _pki.ServerCertFile, KeyFile = _pki.ServerKeyFile, ClientCaFile = _pki.CaFile, OcspStaple = OcspStapling.Off };
        var material = TlsMaterial.TryLoad(options, TimeProvider.System, keepChains: false, errors) ?? throw new InvalidOperationException(string.Join("; ", errors));
        var (serverEnd, clientEnd) = InMemoryDuplexStream.CreatePair();
        var server = new SslStream(serverEnd, leaveInnerStreamOpen: false);
        var client = new SslStream(clientEnd, leaveInnerStreamOpen: false);
        await Task.WhenAll(
            server.AuthenticateAsServerAsync(ServerAuthentication.Create(material, (_, certificate, _, _) => certificate is not null)),
            client.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "edge.test",
                EnabledSslProtocols = SslProtocols.Tls13,
                ClientCertificates = [_pki.Client],
                RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null,
            })).WithTimeout();
        return (server, client);
    }
}
