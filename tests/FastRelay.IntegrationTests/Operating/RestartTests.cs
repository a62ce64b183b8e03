using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FastRelay.Backends;
using FastRelay.TestKit;

namespace FastRelay.IntegrationTests.Operating;

/// <summary>
/// Zero-downtime restart with <c>--handoff</c> (README, "Operating"): the new process takes the listening
/// sockets of the old one, whose backlog survives, so a restart under load refuses and resets nothing.
/// Guards against the Linux trap where closing a listener resets the clients queued in its backlog.
/// </summary>
public sealed class RestartTests : IDisposable
{
    private readonly string _handoff = Path.Combine(Path.GetTempPath(), $"fastrelay-handoff-{Guid.NewGuid():N}.sock");

    public void Dispose() => File.Delete(_handoff);

    [Fact]
    public async Task Handoff_UnderLoad_TwoRestarts_ZeroRefusedOrResetConnections()
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        var listen = FastRelayProcess.FreeEndPoint();
        var admin = FastRelayProcess.FreeEndPoint();
        string[] args = ["edge", "--listen", $"echo@{listen}", "--route", $"echo={echo.EndPoint}", "--admin", admin.ToString(), "--handoff", _handoff];
        using var first = FastRelayProcess.Start(args);
        await first.WaitUntilListeningAsync(listen);
        Assert.True(await TestTimeouts.EventuallyAsync(() => first.StandardOutput.Contains("Handoff socket", StringComparison.Ordinal)));

        // A bounded client loop: 8 workers, each connect-echo-close, for at most 100,000 sessions or 60 s. It must outlast
        // two process starts (cancelled after the second): 20,000 sessions could run out in 5 s on a fast machine, and
        // 30 s in all was tight for three starts on a loaded one.
        using var load = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var counts = new LoadCounts();
        var workers = Enumerable.Range(0, 8).Select(_ => Task.Run(() => ClientLoopAsync(listen, counts, 100_000 / 8, load.Token))).ToArray();
        Assert.True(await TestTimeouts.EventuallyAsync(() => counts.Succeeded > 200));

        // Restart 1: the second process takes over, the first drains and exits 0.
        using var second = FastRelayProcess.Start(args);
        Assert.True(await TestTimeouts.EventuallyAsync(() => first.HasExited, TimeSpan.FromSeconds(15)),
            $"first: {first.StandardOutput}{first.StandardError}\nsecond: {second.StandardOutput}{second.StandardError}");
        Assert.Equal(0, await first.WaitForExitAsync());
        Assert.Contains("Handed 1 listening sockets", first.StandardOutput, StringComparison.Ordinal);
        Assert.True(await TestTimeouts.EventuallyAsync(() => second.StandardOutput.Contains("Handoff socket", StringComparison.Ordinal)));
        var afterFirst = counts.Succeeded;
        Assert.True(await TestTimeouts.EventuallyAsync(() => counts.Succeeded > afterFirst + 200));

        // Restart 2: the same again, from the second to a third.
        using var third = FastRelayProcess.Start(args);
        Assert.True(await TestTimeouts.EventuallyAsync(() => second.HasExited, TimeSpan.FromSeconds(15)),
            $"second: {second.StandardOutput}{second.StandardError}\nthird: {third.StandardOutput}{third.StandardError}");
        Assert.Equal(0, await second.WaitForExitAsync());
        var afterSecond = counts.Succeeded;
        Assert.True(await TestTimeouts.EventuallyAsync(() => counts.Succeeded > afterSecond + 200));

        await load.CancelAsync();
        await Task.WhenAll(workers);
        Assert.True(counts.Failed == 0, $"{counts.Failed} of {counts.Succeeded + counts.Failed} sessions failed: {counts.FirstFailure}");
        Assert.Contains("socket taken over from the previous process", third.StandardOutput, StringComparison.Ordinal);

        // The third one serves the admin endpoint on the same port, with its own counters.
        using var http = new HttpClient();
        Assert.Contains("fastrelay_connections_accepted_total", await http.GetStringAsync(new Uri($"http://{admin}/metrics")), StringComparison.Ordinal);
        third.Signal("TERM");
        Assert.Equal(0, await third.WaitForExitAsync());
    }

    [Fact]
    public async Task Handoff_NewProcessFails_OldOneServesOn_AdminBack()
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        var listen = FastRelayProcess.FreeEndPoint();
        var admin = FastRelayProcess.FreeEndPoint();
        using var old = FastRelayProcess.Start("edge", "--listen", $"echo@{listen}", "--route", $"echo={echo.EndPoint}", "--admin", admin.ToString(), "--handoff", _handoff);
        await old.WaitUntilListeningAsync(listen);
        Assert.True(await TestTimeouts.EventuallyAsync(() => old.StandardOutput.Contains("Handoff socket", StringComparison.Ordinal)));

        // The new process cannot bind its admin port (held by a foreign socket): it exits 1, unconfirmed.
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        taken.Listen(1);
        using var failed = await FastRelayProcess.RunAsync("edge", "--listen", $"echo@{listen}", "--route", $"echo={echo.EndPoint}",
            "--admin", taken.LocalEndPoint!.ToString()!, "--handoff", _handoff);
        Assert.Equal(1, await failed.WaitForExitAsync());
        Assert.Contains("is already in use", failed.StandardError, StringComparison.Ordinal);

        // The old one takes its admin port back and goes on serving.
        Assert.True(await TestTimeouts.EventuallyAsync(() => old.StandardOutput.Contains("aborted", StringComparison.Ordinal)), old.StandardOutput);
        using var http = new HttpClient();
        Assert.True(await TestTimeouts.EventuallyAsync(() => IsHealthy(http, admin)), old.StandardOutput);
        Assert.True(await AdminProcessTests.CanEchoFromAsync(listen, "127.0.0.1"));
        old.Signal("TERM");
        Assert.Equal(0, await old.WaitForExitAsync());
    }

    [Fact]
    public async Task Handoff_StaleSocketFile_StartsFresh()
    {
        using (var stale = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            stale.Bind(new UnixDomainSocketEndPoint(_handoff)); // Left behind by a process that was killed.
        }

        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        var listen = FastRelayProcess.FreeEndPoint();
        using var relay = FastRelayProcess.Start("edge", "--listen", $"echo@{listen}", "--route", $"echo={echo.EndPoint}", "--handoff", _handoff);
        await relay.WaitUntilListeningAsync(listen);
        Assert.True(await AdminProcessTests.CanEchoFromAsync(listen, "127.0.0.1"));
        relay.Signal("TERM");
        Assert.Equal(0, await relay.WaitForExitAsync());
        Assert.False(File.Exists(_handoff)); // Its own socket file goes with it.
    }

    private static bool IsHealthy(HttpClient http, IPEndPoint admin)
    {
        try
        {
            return http.GetAsync(new Uri($"http://{admin}/healthz")).GetAwaiter().GetResult().IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private static async Task ClientLoopAsync(IPEndPoint listen, LoadCounts counts, int sessions, CancellationToken stop)
    {
        var message = new byte[64];
        for (var i = 0; i < sessions && !stop.IsCancellationRequested; i++)
        {
            try
            {
                using var client = await SocketTestExtensions.ConnectAsync(listen);
                await client.SendAsync(message, SocketFlags.None);
                await client.ReceiveExactlyAsync(message.Length).WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None); // A started session finishes: stop only ends the loop.
                client.Shutdown(SocketShutdown.Send);
                Assert.Empty(await client.ReceiveToEndAsync().WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None));
                Interlocked.Increment(ref counts.Succeeded);
            }
            catch (Exception ex) when (ex is SocketException or IOException or TimeoutException or Xunit.Sdk.XunitException)
            {
                Interlocked.Increment(ref counts.Failed);
                counts.FirstFailure ??= ex.Message;
            }
        }
    }

    private sealed class LoadCounts
    {
        public int Succeeded;
        public int Failed;
        public string? FirstFailure;
    }
}
