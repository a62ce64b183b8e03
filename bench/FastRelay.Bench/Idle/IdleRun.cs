using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using FastRelay.Backends;
using FastRelay.Bench.Client;
using FastRelay.Bench.Targets;
using FastRelay.Bench.Tls;

namespace FastRelay.Bench.Idle;

/// <summary>
/// The idle-memory measurement: an echo backend and a <c>fastrelay edge</c> as child processes; 200 warm-up
/// connections (JIT, pools, TLS context), a baseline sample, then N connections that each do one 1-byte echo
/// round trip (so both sockets, the relay's pipes and, with TLS, the handshake have all been used once) and
/// then stay open and silent; after the settle time a second sample. Memory per idle connection is the
/// difference divided by N. The connections are then closed and a third sample shows what was given back.
/// With <c>--tunnel</c> the route is <c>tunnel:</c> through a <c>fastrelay gateway</c> child process (which dials
/// the backend), so each idle connection also holds a tunnel stream on both nodes; both processes are sampled and
/// the gateway's difference per connection is the cost of an idle stream there (with its backend socket).
/// </summary>
/// <remarks>
/// RSS counts what the kernel says the process holds (the GC heap, native allocations such as OpenSSL's
/// per-connection state, thread stacks, and the runtime's own reservations as they are touched); socket buffers
/// live in the kernel and are not in it, as for HAProxy and nginx measured the same way.
/// </remarks>
internal static class IdleRun
{
    private const int WarmupConnections = 200;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static async Task<int> ExecuteAsync(IdleOptions options, TextWriter output, CancellationToken cancellationToken)
    {
        // The relay holds two descriptors per connection and raises its soft limit to the hard one (which it inherits).
        // Through a tunnel the edge holds one per connection (the tunnel connections are shared) and the gateway one per
        // stream (its backend socket); this harness and the backend hold one per connection in every mode.
        var perConnection = options.Tunnel ? 1 : 2;
        if (HardFileLimit() is { } hard && ((long)perConnection * options.Connections) + 500 > hard)
        {
            await Console.Error.WriteLineAsync($"fastrelay-bench idle: {options.Connections} connections need about {(perConnection * options.Connections) + 500} descriptors in the relay; "
                + $"the hard limit is {hard}: raise it (ulimit -Hn, LimitNOFILE) or pass --connections {(hard - 500) / perConnection} or fewer");
            return ExitCodes.BadArguments;
        }

        using var pki = options.Tls ? BenchPki.Create(rsaServer: false) : null;
        var tls = pki is null ? null : new TlsClient(pki);
        var (backendChild, backend, backendError) = await BackendProcess.StartAsync(BackendMode.Echo, new IPEndPoint(IPAddress.Loopback, 0), cancellationToken);
        if (backendChild is null)
        {
            await Console.Error.WriteLineAsync($"fastrelay-bench idle: {backendError}");
            return ExitCodes.PhaseFailed;
        }

        await using var backendProcess = backendChild;
        Tunnel.BenchTunnel? tunnel = null;
        if (options.Tunnel)
        {
            // Each tunnel connection keeps its streams for good (no --keepalive-requests recycling while idle).
            (tunnel, var tunnelError) = await Tunnel.BenchTunnel.StartAsync(options.RelayExe, 0, options.GatewayArgs ?? [], cancellationToken);
            if (tunnel is null)
            {
                await Console.Error.WriteLineAsync($"fastrelay-bench idle: {tunnelError}");
                return ExitCodes.PhaseFailed;
            }
        }

        await using var gateway = tunnel;
        var listen = FreePort.Pick();
        var admin = FreePort.Pick();
        await using var relay = ChildProcess.Start(RelayStartInfo(options, listen, admin, backend!, pki, tunnel));
        if (await WaitUntilListeningAsync(relay, listen, cancellationToken) is { } startError)
        {
            await Console.Error.WriteLineAsync($"fastrelay-bench idle: {startError}\n{relay.DescribeOutput()}");
            return ExitCodes.PhaseFailed;
        }

        using var http = new HttpClient { BaseAddress = new Uri($"http://{admin}"), Timeout = Timeout };
        using var gatewayHttp = tunnel is null ? null : new HttpClient { BaseAddress = new Uri($"http://{tunnel.GatewayAdmin}"), Timeout = Timeout };
        var pid = relay.Process.Id;
        var kind = (options.Tls ? "mutual TLS (TLS 1.3, ECDSA P-256, client certificate)" : "plain TCP") + (tunnel is null ? "" : ", each holding a tunnel stream,");
        await output.WriteLineAsync($"fastrelay-bench idle: {options.Connections} idle {kind} connections through {options.RelayExe} (pid {pid})");
        if (tunnel is not null)
        {
            await output.WriteLineAsync($"  through fastrelay gateway (pid {tunnel.Process!.Process.Id}): {tunnel.Process.CommandLine}");
        }

        async Task<(MemorySample Edge, MemorySample? Gateway)> SampleAsync(string label, string suffix = "")
        {
            var edge = await MemorySample.ReadAsync(pid, http, cancellationToken);
            var gw = tunnel is null ? null : await MemorySample.ReadAsync(tunnel.Process!.Process.Id, gatewayHttp!, cancellationToken);
            await output.WriteLineAsync($"  {label,-15} {(gw is null ? "" : "edge    ")}{edge}{suffix}");
            if (gw is not null)
            {
                await output.WriteLineAsync($"  {"",-15} gateway {gw}");
            }

            return (edge, gw);
        }

        // Warm-up, then the baseline.
        var warm = await OpenAsync(listen, WarmupConnections, tls, output, cancellationToken);
        Close(warm);
        await Task.Delay(TimeSpan.FromSeconds(tunnel is null ? 2 : 4), cancellationToken);
        var baseline = await SampleAsync("baseline");

        var watch = Stopwatch.StartNew();
        var open = await OpenAsync(listen, options.Connections, tls, output, cancellationToken);
        var opened = watch.Elapsed;
        await Task.Delay(options.Settle, cancellationToken);
        var loaded = await SampleAsync($"{open.Count,6} idle", $"   (opened in {opened.TotalSeconds:0.0} s)");

        if (open.Count < options.Connections)
        {
            // Why the relay closed the ones that failed: its close reasons (and, through a tunnel, its stream metrics).
            var metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative), cancellationToken);
            foreach (var line in metrics.Split('\n').Where(l => l.StartsWith("fastrelay_connections_closed_total", StringComparison.Ordinal) || l.StartsWith("fastrelay_tunnel_", StringComparison.Ordinal)))
            {
                await output.WriteLineAsync($"  relay metric: {line}");
            }
        }

        Close(open);
        await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken);
        _ = await SampleAsync("after close");

        double Per(long bytes) => bytes / 1024.0 / Math.Max(1, open.Count);
        string Line(string what, MemorySample before, MemorySample after) => string.Create(CultureInfo.InvariantCulture,
            $"  {what}: RSS {Per(after.RssBytes - before.RssBytes):0.0} KiB, anonymous RSS {Per(after.RssAnonBytes - before.RssAnonBytes):0.0} KiB, GC heap {Per(after.GcHeapBytes - before.GcHeapBytes):0.0} KiB (after the last GC)");
        await output.WriteLineAsync(Line(tunnel is null ? "per idle connection" : "edge, per idle connection with its tunnel stream", baseline.Edge, loaded.Edge));
        if (baseline.Gateway is { } gatewayBefore && loaded.Gateway is { } gatewayAfter)
        {
            await output.WriteLineAsync(Line("gateway, per idle tunnel stream with its backend connection", gatewayBefore, gatewayAfter));
        }
        if (open.Count < options.Connections)
        {
            await output.WriteLineAsync($"  relay output (last lines):\n{relay.DescribeOutput()}");
        }

        return open.Count == options.Connections ? ExitCodes.Success : ExitCodes.PhaseFailed;
    }

    private static ProcessStartInfo RelayStartInfo(IdleOptions options, IPEndPoint listen, IPEndPoint admin, IPEndPoint backend, BenchPki? pki,
        Tunnel.BenchTunnel? tunnel)
    {
        var exe = Path.GetFullPath(options.RelayExe);
        var isDll = exe.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);
        var info = new ProcessStartInfo(isDll ? "dotnet" : exe);
        List<string> args = [.. isDll ? [exe] : Array.Empty<string>(),
            "edge", "--listen", $"idle@{listen}", "--route", $"idle={(tunnel is null ? "" : "tunnel:")}{backend}", "--max-connections", (Math.Max(options.Connections, WarmupConnections) + 100).ToString(CultureInfo.InvariantCulture),
            "--admin", admin.ToString(), "--audit", "off", "--log-level", "information", .. pki?.RelayArgs() ?? [], .. tunnel?.EdgeArgs() ?? [], .. options.RelayArgs];
        args.ForEach(info.ArgumentList.Add);
        if (ClientRuntime.HarnessSetInline)
        {
            _ = info.Environment.Remove(ClientRuntime.InlineCompletionsVariable); // The relay runs with its own defaults.
        }

        return info;
    }

    // "Max open files  SOFT  HARD  files" in /proc/self/limits; null where there is no such file.
    private static long? HardFileLimit()
    {
        const string Path = "/proc/self/limits";
        var line = File.Exists(Path) ? File.ReadLines(Path).FirstOrDefault(l => l.StartsWith("Max open files", StringComparison.Ordinal)) : null;
        var fields = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields is { Length: >= 5 } && long.TryParse(fields[4], NumberStyles.None, CultureInfo.InvariantCulture, out var hard) ? hard : null;
    }

    private static async Task<string?> WaitUntilListeningAsync(ChildProcess relay, IPEndPoint listen, CancellationToken cancellationToken)
    {
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(20))
        {
            if (relay.ExitCode is { } code)
            {
                return $"relay exited with code {code}";
            }

            try
            {
                using var probe = await ClientSocket.ConnectAsync(listen, TimeSpan.FromSeconds(1), cancellationToken);
                return null;
            }
            catch (Exception ex) when (ClientSocket.IsNetworkFailure(ex))
            {
                await Task.Delay(100, cancellationToken); // Not listening yet.
            }
        }

        return $"relay did not listen on {listen} within 20 s";
    }

    // Opens in batches (25 at a time with TLS: handshakes are CPU work on a shared machine); a connection that
    // fails is counted and its first error kept for the report, and the run goes on with the others.
    private static async Task<List<IdleConnection>> OpenAsync(IPEndPoint listen, int count, TlsClient? tls, TextWriter output, CancellationToken cancellationToken)
    {
        var batchSize = tls is null ? 100 : 25;
        var all = new List<IdleConnection>(count);
        var failed = 0;
        string? firstError = null;
        for (var start = 0; start < count; start += batchSize)
        {
            var batch = Enumerable.Range(start, Math.Min(batchSize, count - start)).Select(_ => OpenOneAsync(listen, tls, cancellationToken)).ToList();
            foreach (var task in batch)
            {
                try
                {
                    all.Add(await task);
                }
                catch (Exception ex) when (ex is IOException or System.Security.Authentication.AuthenticationException || ClientSocket.IsNetworkFailure(ex))
                {
                    failed++;
                    firstError ??= ex.Message;
                }
            }
        }

        if (failed > 0)
        {
            await output.WriteLineAsync($"  {failed} of {count} connections failed to open (first: {firstError})");
        }

        return all;
    }

    // Connects (and handshakes), echoes one byte, and keeps the connection open and silent.
    private static async Task<IdleConnection> OpenOneAsync(IPEndPoint listen, TlsClient? tls, CancellationToken cancellationToken)
    {
        var one = new byte[] { 42 };
        if (tls is not null)
        {
            var (socket, stream) = await tls.ConnectAsync(listen, Timeout, cancellationToken);
            await stream.WriteAsync(one, cancellationToken);
            await stream.ReadExactlyAsync(one, cancellationToken);
            return new IdleConnection(socket, stream);
        }

        var plain = await ClientSocket.ConnectAsync(listen, Timeout, cancellationToken);
        await ClientSocket.SendAllAsync(plain, one, cancellationToken);
        _ = await ClientSocket.ReceiveExactlyAsync(plain, one, cancellationToken);
        return new IdleConnection(plain, null);
    }

    private static void Close(List<IdleConnection> connections)
    {
        foreach (var c in connections)
        {
            c.Stream?.Dispose();
            c.Socket.Dispose();
        }
    }

    private sealed record IdleConnection(Socket Socket, SslStream? Stream);
}
