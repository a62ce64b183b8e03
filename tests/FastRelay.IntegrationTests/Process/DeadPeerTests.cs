using System.Net.Sockets;
using FastRelay.TestKit;
using Xunit.Abstractions;

namespace FastRelay.IntegrationTests.Process;

/// <summary>
/// Dead peers must park the relay, not spin it, on the plain and the TLS path: upstreams that accept and never read while their clients push
/// megabytes and never read either (both directions stalled under back-pressure), and clients that send a FIN
/// to an upstream that never answers nor closes (the half-closed wait). Measured as the edge process's CPU time
/// over a 3 s window; a spinning loop on a shared 2-core machine uses a good part of a core, a parked relay
/// only its timers. The bound (20 % of one core) is generous on purpose: it separates parked from spinning,
/// not fast from slow. Guards the issue 9 requirement "the process never spins the CPU on a dead peer".
/// </summary>
public sealed class DeadPeerTests(ITestOutputHelper output)
{
    [Fact]
    public async Task StalledAndHalfClosedPeers_RelayParks_NoSpin()
    {
        using var backend = new ManualBackend();
        var listen = FastRelayProcess.FreeEndPoint();
        using var relay = FastRelayProcess.Start("edge", "--listen", $"svc@{listen}", "--route", $"svc={backend.Target}",
            "--log-level", "warning", "--admin", "off", "--audit", "off",
            "--drain-timeout", "3s"); // The readiness probe's connection waits on an upstream the backend never accepts: the drain ends it.
        await relay.WaitUntilListeningAsync(listen);

        var clients = new List<Socket>();
        var upstreams = new List<Socket>();
        var pushes = new List<Task>();
        var payload = new byte[32 << 20];
        for (var i = 0; i < 10; i++)
        {
            // Stalled both ways: 32 MiB (more than the kernel buffers and the relay's pipes hold) toward an upstream that never reads, from a client that never reads.
            var client = await SocketTestExtensions.ConnectAsync(listen);
            clients.Add(client);
            upstreams.Add(await backend.AcceptAsync());
            pushes.Add(client.SendAsync(payload, SocketFlags.None));

            // Half-closed: the client is done sending, the upstream neither answers nor closes.
            var halfClosed = await SocketTestExtensions.ConnectAsync(listen);
            clients.Add(halfClosed);
            upstreams.Add(await backend.AcceptAsync());
            halfClosed.Shutdown(SocketShutdown.Send);
        }

        await Task.Delay(TimeSpan.FromSeconds(1)); // The buffers fill and the relay's pumps pause.
        Assert.Contains(pushes, p => !p.IsCompleted); // Back-pressure reached the clients: the relay holds no more.
        var before = relay.CpuTime();
        await Task.Delay(TimeSpan.FromSeconds(3));
        var used = relay.CpuTime() - before;
        output.WriteLine($"relay CPU over 3 s with 20 dead peers: {used.TotalMilliseconds:0} ms");
        Assert.True(used < TimeSpan.FromSeconds(0.6), $"the relay used {used.TotalMilliseconds:0} ms of CPU in 3 s with 20 dead peers");
        Assert.False(relay.HasExited);

        clients.ForEach(c => c.Dispose());
        upstreams.ForEach(u => u.Dispose());
        await Task.WhenAll(pushes.Select(p => p.ContinueWith(static _ => { }, TaskScheduler.Default))); // Failed by the dispose: expected.
        relay.Signal("TERM");
        Assert.Equal(0, await relay.WaitForExitAsync());
    }

    [Fact]
    public async Task StalledHalfClosedAndSilentTlsPeers_RelayParks_NoSpin()
    {
        using var pki = TestCertificates.Create();
        using var backend = new ManualBackend();
        var listen = FastRelayProcess.FreeEndPoint();
        using var relay = FastRelayProcess.Start("edge", "--listen", $"svc@{listen}", "--route", $"svc={backend.Target}",
            "--tls-cert", pki.ServerCertFile, "--tls-key", pki.ServerKeyFile, "--client-ca", pki.CaFile, "--ocsp-staple", "off",
            "--log-level", "warning", "--admin", "off", "--audit", "off", "--drain-timeout", "3s");
        await relay.WaitUntilListeningAsync(listen);

        var streams = new List<System.Net.Security.SslStream>();
        var upstreams = new List<Socket>();
        var silent = new List<Socket>();
        var pushes = new List<Task>();
        var payload = new byte[32 << 20];
        for (var i = 0; i < 10; i++)
        {
            // Stalled both ways, as on the plain path; then half-closed with close_notify and FIN.
            var pushing = await TlsTestClient.ConnectAsync(listen, pki, pki.Client);
            streams.Add(pushing);
            upstreams.Add(await backend.AcceptAsync());
            pushes.Add(pushing.WriteAsync(payload).AsTask());

            var halfClosed = await TlsTestClient.ConnectAsync(listen, pki, pki.Client);
            streams.Add(halfClosed);
            upstreams.Add(await backend.AcceptAsync());
            await halfClosed.HalfCloseAsync();

            // Silent mid-handshake: connected, no ClientHello (the 10 s handshake timeout outlasts the window).
            silent.Add(await SocketTestExtensions.ConnectAsync(listen));
        }

        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Contains(pushes, p => !p.IsCompleted);
        var before = relay.CpuTime();
        await Task.Delay(TimeSpan.FromSeconds(3));
        var used = relay.CpuTime() - before;
        output.WriteLine($"relay CPU over 3 s with 30 dead TLS peers: {used.TotalMilliseconds:0} ms");
        Assert.True(used < TimeSpan.FromSeconds(0.6), $"the relay used {used.TotalMilliseconds:0} ms of CPU in 3 s with 30 dead TLS peers");

        silent.ForEach(s => s.Dispose());
        upstreams.ForEach(u => u.Dispose());
        foreach (var stream in streams)
        {
            await stream.DisposeAsync();
        }

        await Task.WhenAll(pushes.Select(p => p.ContinueWith(static _ => { }, TaskScheduler.Default))); // Failed by the dispose: expected.
        relay.Signal("TERM");
        Assert.Equal(0, await relay.WaitForExitAsync());
    }
}
