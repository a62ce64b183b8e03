using System.Diagnostics;
using System.Globalization;
using System.Net;
using FastRelay.Backends;
using FastRelay.Bench.Client;
using FastRelay.Bench.Targets;
using FastRelay.Bench.Tls;
using FastRelay.Bench.Tunnel;

namespace FastRelay.Bench.Soak;

/// <summary>
/// <c>fastrelay-bench soak</c>: the full path for a bounded time. Child processes: an echo backend, a
/// <c>fastrelay gateway</c> (throwaway X25519 keys) and a <c>fastrelay edge</c> with mutual TLS (throwaway CA) whose
/// route is <c>tunnel:</c> the backend, auditing to SQLite. <see cref="SoakLoad"/> runs steady sessions with random
/// sizes and client resets; half-way the gateway is killed (SIGKILL) and started again on the same port with the
/// same key. Every <c>SampleInterval</c> both nodes' RSS, descriptors and threads are sampled and printed. At the
/// end the edge is stopped with SIGTERM (so its audit log is flushed) and the database is checked
/// (<see cref="SoakAudit"/>). With <c>--plain</c> the edge has no TLS and routes straight to the backend (the epoll data
/// path), and there is no gateway to restart.
/// </summary>
/// <remarks>
/// Pass: no session failed outside the restart window (from the kill until the first session that completes after
/// the restart, plus the sessions already in flight at that moment), the audit log holds exactly the expected
/// records, and between the first minute's samples and the last minute's the edge (and the gateway, from the first
/// minute after its restart) grew by at most <see cref="RssTolerance"/> of RSS (or 16 MiB, the larger),
/// <see cref="DescriptorSlack"/> descriptors and <see cref="ThreadSlack"/> threads. The load's in-flight sessions
/// hold up to 2 descriptors each, hence the slack.
/// </remarks>
internal static class SoakRun
{
    private const double RssTolerance = 0.20;
    private const long RssSlackBytes = 16L << 20;
    private const int DescriptorSlack = 40;
    private const int ThreadSlack = 8;

    public static async Task<int> ExecuteAsync(SoakOptions options, TextWriter output, CancellationToken cancellationToken)
    {
        var directory = Directory.CreateTempSubdirectory("fastrelay-soak-").FullName;
        var database = Path.Combine(directory, "audit.db");
        using var pki = BenchPki.Create(rsaServer: false);
        var tls = options.Plain ? null : new TlsClient(pki);
        var (backendChild, backend, backendError) = await BackendProcess.StartAsync(BackendMode.Echo, new IPEndPoint(IPAddress.Loopback, 0), cancellationToken);
        if (backendChild is null)
        {
            await Console.Error.WriteLineAsync($"fastrelay-bench soak: {backendError}");
            return ExitCodes.PhaseFailed;
        }

        await using var backendProcess = backendChild;
        BenchTunnel? tunnel = null;
        if (!options.Plain)
        {
            (tunnel, var tunnelError) = await BenchTunnel.StartAsync(options.RelayExe, 1000, [], cancellationToken);
            if (tunnel is null)
            {
                await Console.Error.WriteLineAsync($"fastrelay-bench soak: {tunnelError}");
                return ExitCodes.PhaseFailed;
            }
        }

        await using var gateway = tunnel;
        var listen = FreePort.Pick();
        var adminPort = tunnel?.EdgeAdminPort ?? FreePort.Pick().Port;
        await using var edge = ChildProcess.Start(EdgeStartInfo(options, listen, backend!, pki, tunnel, adminPort, directory, database));
        if (await WaitUntilReadyAsync(edge, adminPort, cancellationToken) is { } startError)
        {
            await Console.Error.WriteLineAsync($"fastrelay-bench soak: edge did not start: {startError}\n{edge.DescribeOutput()}");
            return ExitCodes.PhaseFailed;
        }

        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"fastrelay-bench soak: {options.Duration.TotalMinutes:0.#} min, {options.Concurrency} sessions in flight (pause {options.Pause.TotalMilliseconds:0} ms), payload 1 B-{options.MaxPayload / 1024.0:0.#} KiB, {options.ResetPercent} % client resets, gateway restart: {(options.RestartGateway ? "half-way" : "no")}"));
        await output.WriteLineAsync($"  edge    (pid {edge.Process.Id}): {edge.CommandLine}");
        await output.WriteLineAsync(tunnel is null ? "  gateway: none (--plain: the edge routes straight to the echo backend)" : $"  gateway (pid {tunnel.Process!.Process.Id}): {tunnel.Process.CommandLine}");
        await output.WriteLineAsync($"  audit:  {database}");
        await output.WriteLineAsync();
        await output.WriteLineAsync("    time  edge RSS MiB  fds  thr | gw RSS MiB  fds  thr gen | completed   reset  failed");

        var load = new SoakLoad(options, listen, tls);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var running = load.RunAsync(stop.Token);
        var samples = new List<SoakSample>();
        var generation = 0;
        double? killedAt = null, restartedAt = null, recoveredAt = null;
        long completedAtRestart = 0;
        var restartPending = options.RestartGateway;
        var nextSample = 0.0;
        while (load.Now < options.Duration.TotalSeconds && !cancellationToken.IsCancellationRequested)
        {
            if (load.Now >= nextSample)
            {
                var sample = new SoakSample(load.Now, ProcessSample.Read(edge.Process.Id), tunnel is not null && (generation == 0 || restartedAt is not null) ? ProcessSample.Read(tunnel.Process!.Process.Id) : null,
                    generation, load.Completed, load.Reset, load.Failures.Count);
                samples.Add(sample);
                await output.WriteLineAsync(Row(sample));
                nextSample += options.SampleInterval.TotalSeconds;
            }

            if (restartPending && load.Now >= options.Duration.TotalSeconds / 2)
            {
                restartPending = false;
                killedAt = load.Now;
                generation = 1;
                var (started, error) = await tunnel!.RestartGatewayAsync(cancellationToken);
                restartedAt = load.Now;
                completedAtRestart = load.Completed;
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"  -- gateway killed at {killedAt:0} s and {(started ? $"running again (pid {tunnel.Process!.Process.Id}) at {restartedAt:0.0} s" : "did not restart: " + error)}"));
                if (!started)
                {
                    break;
                }
            }

            if (restartedAt is not null && recoveredAt is null && load.Completed > completedAtRestart)
            {
                recoveredAt = load.Now; // The first session through the new gateway (within the 250 ms poll).
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"  -- first session completed through the restarted gateway at {recoveredAt:0.0} s ({recoveredAt - killedAt:0.0} s after the kill)"));
            }

            await Task.Delay(250, CancellationToken.None);
        }

        await stop.CancelAsync();
        await running;
        var last = new SoakSample(load.Now, ProcessSample.Read(edge.Process.Id), tunnel is null ? null : ProcessSample.Read(tunnel.Process!.Process.Id), generation, load.Completed, load.Reset, load.Failures.Count);
        samples.Add(last);
        await output.WriteLineAsync(Row(last) + "   (load stopped)");

        // SIGTERM: the edge drains and flushes its audit log before it exits.
        var edgeExit = await StopGracefullyAsync(edge);
        (IReadOnlyList<SoakAudit.Group> Groups, IReadOnlyList<string> Problems, long ResetsNotClientReset) audit = File.Exists(database)
            ? SoakAudit.Check(database, load, options.Plain)
            : ([], ["no audit database at " + database], 0);
        var (groups, auditProblems, resetsElsewhere) = audit;

        var report = SoakReport.Build(options, samples, load, killedAt, recoveredAt, groups, auditProblems, resetsElsewhere, edgeExit, RssTolerance, RssSlackBytes, DescriptorSlack, ThreadSlack);
        await SoakReport.PrintAsync(report, output);
        await File.WriteAllTextAsync(options.JsonPath, SoakReport.ToJson(report), CancellationToken.None);
        await output.WriteLineAsync($"  JSON: {Path.GetFullPath(options.JsonPath)}");
        if (report.Passed)
        {
            TryDelete(directory);
        }
        else
        {
            await output.WriteLineAsync($"  kept for inspection: {directory}");
        }

        return report.Passed ? ExitCodes.Success : ExitCodes.PhaseFailed;
    }

    private static string Row(SoakSample s) => string.Create(CultureInfo.InvariantCulture,
        $"  {s.Seconds,5:0} s  {Mib(s.Edge),11} {s.Edge?.Descriptors,5} {s.Edge?.Threads,4} | {Mib(s.Gateway),9} {s.Gateway?.Descriptors,5} {s.Gateway?.Threads,4} {s.GatewayGeneration,3} | {s.Completed,9} {s.Reset,7} {s.Failed,7}");

    private static string Mib(ProcessSample? s) => s is null ? "down" : (s.RssBytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture);

    private static ProcessStartInfo EdgeStartInfo(SoakOptions options, IPEndPoint listen, IPEndPoint backend, BenchPki pki, BenchTunnel? tunnel, int adminPort, string directory, string database)
    {
        var exe = Path.GetFullPath(options.RelayExe);
        var isDll = exe.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);
        var info = new ProcessStartInfo(isDll ? "dotnet" : exe) { WorkingDirectory = directory };
        List<string> args = [.. isDll ? [exe] : Array.Empty<string>(),
            "edge", "--listen", $"soak@{listen}", "--route", tunnel is null ? $"soak={backend}" : $"soak=tunnel:{backend}", "--admin", $"127.0.0.1:{adminPort}",
            "--audit", $"sqlite:{database}", "--audit-spool", Path.Combine(directory, "spool"), "--audit-node", "soak-edge", "--log-level", "warning",
            .. tunnel is null ? Array.Empty<string>() : [.. pki.RelayArgs(), .. tunnel.EdgeArgs()]];
        args.ForEach(info.ArgumentList.Add);
        if (ClientRuntime.HarnessSetInline)
        {
            _ = info.Environment.Remove(ClientRuntime.InlineCompletionsVariable); // The edge runs with its own defaults.
        }

        return info;
    }

    // Polls the edge's /readyz: ready once it listens and a gateway connection is up. No probe connection, so the
    // audit log holds only the load's sessions.
    private static async Task<string?> WaitUntilReadyAsync(ChildProcess edge, int adminPort, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var waited = Stopwatch.StartNew();
        string? last = null;
        while (waited.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (edge.ExitCode is { } code)
            {
                return $"exited with code {code}";
            }

            try
            {
                using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{adminPort}/readyz"), cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return null;
                }

                last = $"/readyz answered {(int)response.StatusCode}";
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                last = ex.Message;
            }

            await Task.Delay(200, cancellationToken);
        }

        return $"not ready within 30 s (last: {last})";
    }

    private static async Task<int?> StopGracefullyAsync(ChildProcess edge)
    {
        if (edge.ExitCode is { } early)
        {
            return early;
        }

        // The edge's own PID (never a name): SIGTERM, as systemd stops it.
        using (var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", edge.Process.Id.ToString(CultureInfo.InvariantCulture)])))
        {
            await kill!.WaitForExitAsync();
        }

        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await edge.WaitForExitAsync(wait.Token);
            return edge.ExitCode;
        }
        catch (OperationCanceledException)
        {
            return null; // Still running after 30 s: the report says so; DisposeAsync kills it.
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }
}
