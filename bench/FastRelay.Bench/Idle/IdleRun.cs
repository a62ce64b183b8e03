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
        if (HardFileLimit() is { } hard && (2L * options.Connections) + 500 > hard)
        {
            await Console.Error.WriteLineAsync($"fastrelay-bench idle: {options.Connections} connections need about {(2 * options.Connections) + 500} descriptors in the relay; "
                + $"the hard limit is {hard}: raise it (ulimit -Hn, LimitNOFILE) or pass --connections {(hard - 500) / 2} or fewer");
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
        var listen = FreePort.Pick();
        var admin = FreePort.Pick();
        await using var relay = ChildProcess.Start(RelayStartInfo(options, listen, admin, backend!, pki));
        if (await WaitUntilListeningAsync(relay, listen, cancellationToken) is { } startError)
        {
            await Console.Error.WriteLineAsync($"fastrelay-bench idle: {startError}\n{relay.DescribeOutput()}");
            return ExitCodes.PhaseFailed;
        }

        using var http = new HttpClient { BaseAddress = new Uri($"http://{admin}"), Timeout = Timeout };
        var pid = relay.Process.Id;
        var kind = options.Tls ? "mutual TLS (TLS 1.3, ECDSA P-256, client certificate)" : "plain TCP";
        await output.WriteLineAsync($"fastrelay-bench idle: {options.Connections} idle {kind} connections through {options.RelayExe} (pid {pid})");

        // Warm-up, then the baseline.
        var warm = await OpenAsync(listen, WarmupConnections, tls, output, cancellationToken);
        Close(warm);
        await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
        var baseline = await MemorySample.ReadAsync(pid, http, cancellationToken);
        await output.WriteLineAsync($"  baseline        {baseline}");

        var watch = Stopwatch.StartNew();
        var open = await OpenAsync(listen, options.Connections, tls, output, cancellationToken);
        var opened = watch.Elapsed;
        await Task.Delay(options.Settle, cancellationToken);
        var loaded = await MemorySample.ReadAsync(pid, http, cancellationToken);
        await output.WriteLineAsync($"  {open.Count,6} idle    {loaded}   (opened in {opened.TotalSeconds:0.0} s)");

        Close(open);
        await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken);
        var after = await MemorySample.ReadAsync(pid, http, cancellationToken);
        await output.WriteLineAsync($"  after close     {after}");

        double Per(long bytes) => bytes / 1024.0 / open.Count;
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"  per idle connection: RSS {Per(loaded.RssBytes - baseline.RssBytes):0.0} KiB, anonymous RSS {Per(loaded.RssAnonBytes - baseline.RssAnonBytes):0.0} KiB, GC heap {Per(loaded.GcHeapBytes - baseline.GcHeapBytes):0.0} KiB (after the last GC)"));
        if (open.Count < options.Connections)
        {
            await output.WriteLineAsync($"  relay output (last lines):\n{relay.DescribeOutput()}");
        }

        return open.Count == options.Connections ? ExitCodes.Success : ExitCodes.PhaseFailed;
    }

    private static ProcessStartInfo RelayStartInfo(IdleOptions options, IPEndPoint listen, IPEndPoint admin, IPEndPoint backend, BenchPki? pki)
    {
        var exe = Path.GetFullPath(options.RelayExe);
        var isDll = exe.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);
        var info = new ProcessStartInfo(isDll ? "dotnet" : exe);
        List<string> args = [.. isDll ? [exe] : Array.Empty<string>(),
            "edge", "--listen", $"idle@{listen}", "--route", $"idle={backend}", "--max-connections", (options.Connections + 100).ToString(CultureInfo.InvariantCulture),
            "--admin", admin.ToString(), "--audit", "off", "--log-level", "information", .. pki?.RelayArgs() ?? [], .. options.RelayArgs];
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
