using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using FastRelay.Configuration;
using FastRelay.TestKit;
using FastRelay.Tls;
using FastRelay.Tls.Native;

namespace FastRelay.Net.Tests.Tls;

/// <summary>
/// The one native TLS context per loaded certificate (<see cref="SharedServerContext"/>): every handshake runs on
/// it, with idle buffers released, and a reload prepares a new one. Real handshakes over in-memory streams.
/// </summary>
public sealed class SharedServerContextTests : IClassFixture<PkiFixture>
{
    private readonly TestCertificates _pki;

    public SharedServerContextTests(PkiFixture fixture) => _pki = fixture.Pki;

    [Theory]
    [InlineData(SslProtocols.Tls13)]
    [InlineData(SslProtocols.Tls12)]
    public async Task EveryHandshake_RunsOnThePreparedContext_WithBuffersReleased(SslProtocols protocol)
    {
        Assert.True(NativeSsl.Supported, NativeSsl.UnsupportedReason);
        var material = Load();
        var shared = material.Server.Shared;
        Assert.NotNull(shared);
        Assert.Equal("shared TLS context", material.Server.ContextNote);

        for (var i = 0; i < 3; i++)
        {
            var (server, client) = await HandshakeAsync(material, protocol, _pki.Client);
            using (server)
            using (client)
            {
                Assert.Equal(protocol, server.SslProtocol);
                Assert.Equal(shared.Pointer, NativeSsl.ContextOf(server));
                Assert.Equal(NativeSsl.ModeReleaseBuffers, NativeSsl.ModeOf(server) & NativeSsl.ModeReleaseBuffers);
                Assert.Null(SharedServerContext.Check(shared, server));
                Assert.True(ServerAuthentication.IsModern(server.NegotiatedCipherSuite), server.NegotiatedCipherSuite.ToString());
            }
        }
    }

    [Theory]
    [InlineData(SslProtocols.Tls13, TlsCipherSuite.TLS_AES_128_GCM_SHA256)]
    [InlineData(SslProtocols.Tls12, TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)]
    public async Task AClientOnOpenSslDefaults_GetsAes128_TheServersFirstChoice(SslProtocols protocol, TlsCipherSuite expected)
    {
        // OpenSSL's default order (what .NET's client sends) puts AES-256-GCM first: the server's order decides.
        var material = Load();
        var (server, client) = await HandshakeAsync(material, protocol, _pki.Client);
        using (server)
        using (client)
        {
            Assert.Equal(expected, server.NegotiatedCipherSuite);
            Assert.Equal(expected, client.NegotiatedCipherSuite);
        }
    }

    [Theory]
    [InlineData(TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256, TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256)] // Put first: honoured.
    [InlineData(TlsCipherSuite.TLS_AES_256_GCM_SHA384, TlsCipherSuite.TLS_AES_256_GCM_SHA384)] // The only AES one offered.
    public async Task AClientThatPutsChaCha20First_GetsChaCha20_ElseTheServersOrderDecides(TlsCipherSuite first, TlsCipherSuite expected)
    {
        var material = Load();
        TlsCipherSuite[] offered = first == TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256
            ? [TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256, TlsCipherSuite.TLS_AES_128_GCM_SHA256, TlsCipherSuite.TLS_AES_256_GCM_SHA384]
            : [TlsCipherSuite.TLS_AES_256_GCM_SHA384, TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256];
        var (server, client) = await HandshakeAsync(material, SslProtocols.Tls13, _pki.Client, clientSuites: offered);
        using (server)
        using (client)
        {
            Assert.Equal(expected, server.NegotiatedCipherSuite);
        }

        // The per-connection fallback has .NET's server order but not the ChaCha20 exception.
        var (own, ownClient) = await HandshakeAsync(material, SslProtocols.Tls13, _pki.Client, useShared: false, clientSuites: offered);
        using (own)
        using (ownClient)
        {
            Assert.Equal(first == TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256 ? TlsCipherSuite.TLS_AES_128_GCM_SHA256 : expected, own.NegotiatedCipherSuite);
        }
    }

    [Fact]
    public async Task AHandshakeThatForbidsResumption_GetsNoSharedContext_WhichIsWhyOursAllowIt()
    {
        // Why ServerAuthentication keeps AllowTlsResume on with a shared context: .NET 10 looks the cache up only then.
        var material = Load();
        var (serverEnd, clientEnd) = InMemoryDuplexStream.CreatePair();
        using var server = new SslStream(serverEnd, leaveInnerStreamOpen: false);
        using var client = new SslStream(clientEnd, leaveInnerStreamOpen: false);
        var options = ServerAuthentication.Create(material, (_, certificate, _, _) => certificate is not null);
        Assert.True(options.AllowTlsResume);
        options.AllowTlsResume = false;
        await Task.WhenAll(server.AuthenticateAsServerAsync(options), client.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "edge.test",
            ClientCertificates = [_pki.Client],
            RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null && presented.GetRawCertData().AsSpan().SequenceEqual(material.Server.Leaf.RawData),
        })).WithTimeout();
        Assert.NotEqual(material.Server.Shared!.Pointer, NativeSsl.ContextOf(server));
        Assert.Null(SharedServerContext.Check(material.Server.Shared, server)); // Still an AEAD suite, still a full handshake.
    }

    [Fact]
    public async Task ThePreparedContext_SurvivesASweepOfDotNetsCache()
    {
        // .NET's context cache is process-wide and, each time it reaches a multiple of 32 entries, frees every entry
        // no SSL object uses. Forty other certificates' contexts come and go; ours is held, so it stays, still marked.
        var material = Load();
        var pointer = material.Server.Shared!.Pointer;
        for (var i = 0; i < 40; i++)
        {
            using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest($"CN=other-{i}", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
            using var ephemeral = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
            using var certificate = X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pfx), null);
            var context = SslStreamCertificateContext.Create(certificate, null, offline: true);
            var (serverEnd, clientEnd) = InMemoryDuplexStream.CreatePair();
            using var server = new SslStream(serverEnd, leaveInnerStreamOpen: false);
            using var client = new SslStream(clientEnd, leaveInnerStreamOpen: false);
            await Task.WhenAll(
                server.AuthenticateAsServerAsync(ServerAuthentication.CreateShared(context)),
                client.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = "other.test",
                    RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null && presented.GetRawCertData().AsSpan().SequenceEqual(certificate.RawData),
                })).WithTimeout();
        }

        var (ours, oursClient) = await HandshakeAsync(material, SslProtocols.Tls13, _pki.Client);
        using (ours)
        using (oursClient)
        {
            Assert.Equal(pointer, NativeSsl.ContextOf(ours));
            Assert.True(NativeSsl.IsConfigured(pointer));
        }
    }

    [Fact]
    public async Task ANewCertificate_GetsItsOwnPreparedContext()
    {
        // What a reload with a renewed certificate does. (.NET may hand a reload of the same certificate the
        // context it already has; it was prepared then, and preparing it again changes nothing.)
        using var renewed = TestCertificates.Create();
        var first = Load();
        var second = Load(renewed);
        Assert.NotNull(first.Server.Shared);
        Assert.NotNull(second.Server.Shared);
        Assert.NotEqual(first.Server.Shared.Pointer, second.Server.Shared.Pointer);
        Assert.Contains("shared TLS context", second.Server.ToString(), StringComparison.Ordinal);

        var (server, client) = await HandshakeAsync(second, SslProtocols.Tls13, renewed.Client);
        using (server)
        using (client)
        {
            Assert.Equal(second.Server.Shared.Pointer, NativeSsl.ContextOf(server));
        }
    }

    [Fact]
    public async Task AReloadOfTheSameCertificate_GetsTheSameContext_AlreadyConfigured_StillShared()
    {
        // .NET keys its cache by the certificate chain: a reload without a new certificate finds the context that
        // connections are using. It is marked as configured, so it is not configured again under them.
        var first = Load();
        var second = Load();
        Assert.Equal(first.Server.Shared!.Pointer, second.Server.Shared!.Pointer);
        Assert.True(NativeSsl.IsConfigured(second.Server.Shared.Pointer));
        var (server, client) = await HandshakeAsync(second, SslProtocols.Tls12, _pki.Client);
        using (server)
        using (client)
        {
            Assert.Equal(second.Server.Shared.Pointer, NativeSsl.ContextOf(server));
            Assert.Equal(NativeSsl.ModeReleaseBuffers, NativeSsl.ModeOf(server) & NativeSsl.ModeReleaseBuffers);
        }

        GC.KeepAlive(first);
    }

    [Fact]
    public async Task AResumedSession_IsRefused_WhateverContextItRanOn()
    {
        // A context FastRelay did not prepare (TLS 1.3 only: another cache key), as .NET builds it: tickets on.
        var material = Load();
        var options = new SslServerAuthenticationOptions { ServerCertificateContext = material.Server.Context, EnabledSslProtocols = SslProtocols.Tls13 };
        var resumed = false;
        for (var attempt = 0; attempt < 3 && !resumed; attempt++)
        {
            var (serverEnd, clientEnd) = InMemoryDuplexStream.CreatePair();
            using var server = new SslStream(serverEnd, leaveInnerStreamOpen: false);
            using var client = new SslStream(clientEnd, leaveInnerStreamOpen: false);
            await Task.WhenAll(
                server.AuthenticateAsServerAsync(options),
                client.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = "edge.test",
                    EnabledSslProtocols = SslProtocols.Tls13,
                    RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null && presented.GetRawCertData().AsSpan().SequenceEqual(material.Server.Leaf.RawData),
                })).WithTimeout();

            // The client takes the server's tickets in with its first read.
            await server.WriteAsync(new byte[] { 1 }).AsTask().WithTimeout();
            await client.ReadExactlyAsync(new byte[1]).AsTask().WithTimeout();
            resumed = NativeSsl.SessionReused(server) == true;
            var problem = SharedServerContext.Check(null, server);
            if (resumed)
            {
                Assert.Contains("resumed a TLS session", problem, StringComparison.Ordinal);
            }
            else
            {
                Assert.Null(problem);
            }
        }

        Assert.True(resumed, "the .NET client never resumed: the test did not exercise the check");
    }

    [Fact]
    public async Task WithoutASharedContext_TheConnectionGetsThePolicy_AndReleasesBuffersItself()
    {
        var material = Load();
        var (server, client) = await HandshakeAsync(material, SslProtocols.Tls13, _pki.Client, useShared: false);
        using (server)
        using (client)
        {
            Assert.NotEqual(material.Server.Shared!.Pointer, NativeSsl.ContextOf(server)); // A context of its own.
            Assert.Equal(0, NativeSsl.ModeOf(server) & NativeSsl.ModeReleaseBuffers);
            Assert.Null(SharedServerContext.Check(null, server)); // An AEAD suite: allowed; and now the mode is set.
            Assert.Equal(NativeSsl.ModeReleaseBuffers, NativeSsl.ModeOf(server) & NativeSsl.ModeReleaseBuffers);
        }
    }

    [Fact]
    public async Task DataFlows_AfterBuffersWereReleased()
    {
        var material = Load();
        var (server, client) = await HandshakeAsync(material, SslProtocols.Tls13, _pki.Client);
        using (server)
        using (client)
        {
            var payload = new byte[100_000];
            Random.Shared.NextBytes(payload);
            for (var round = 0; round < 3; round++)
            {
                var write = client.WriteAsync(payload).AsTask();
                var received = new byte[payload.Length];
                await server.ReadExactlyAsync(received).AsTask().WithTimeout();
                await write.WithTimeout();
                Assert.Equal(payload, received);
                await server.WriteAsync(received.AsMemory(0, 1000)).AsTask().WithTimeout();
                var back = new byte[1000];
                await client.ReadExactlyAsync(back).AsTask().WithTimeout();
                Assert.Equal(payload.AsSpan(0, 1000).ToArray(), back);
            }
        }
    }

    private TlsMaterial Load(TestCertificates? pki = null)
    {
        pki ??= _pki;
        var errors = new List<string>();
        var options = new TlsOptions { CertificateFile = pki.ServerCertFile, KeyFile = pki.ServerKeyFile, ClientCaFile = pki.CaFile, OcspStaple = OcspStapling.Off };
        return TlsMaterial.TryLoad(options, TimeProvider.System, keepChains: false, errors) ?? throw new InvalidOperationException(string.Join("; ", errors));
    }

    private static async Task<(SslStream Server, SslStream Client)> HandshakeAsync(
        TlsMaterial material, SslProtocols protocol, X509Certificate2 clientCertificate, bool useShared = true, TlsCipherSuite[]? clientSuites = null)
    {
        var (serverEnd, clientEnd) = InMemoryDuplexStream.CreatePair();
        var server = new SslStream(serverEnd, leaveInnerStreamOpen: false);
        var client = new SslStream(clientEnd, leaveInnerStreamOpen: false);
        var options = ServerAuthentication.Create(material, (_, certificate, _, _) => certificate is not null);
        if (!useShared)
        {
            options.CipherSuitesPolicy = ServerAuthentication.ModernSuites;
        }

        await Task.WhenAll(
            server.AuthenticateAsServerAsync(options),
            client.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "edge.test",
                EnabledSslProtocols = protocol,
                ClientCertificates = [clientCertificate],
                CipherSuitesPolicy = clientSuites is null || OperatingSystem.IsWindows() ? null : new CipherSuitesPolicy(clientSuites),
                RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null && presented.GetRawCertData().AsSpan().SequenceEqual(material.Server.Leaf.RawData),
            })).WithTimeout();
        return (server, client);
    }
}
