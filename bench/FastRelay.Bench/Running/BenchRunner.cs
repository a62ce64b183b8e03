using System.Globalization;
using FastRelay.Bench.Cli;
using FastRelay.Bench.Measurement;
using FastRelay.Bench.Phases;
using FastRelay.Bench.Reporting;
using FastRelay.Bench.Targets;

namespace FastRelay.Bench.Running;

/// <summary>
/// The composition root of <c>run</c>: starts the backends (and the relay, if asked), runs each selected phase
/// on the direct path and then on the relay path with the same settings, and reports.
/// </summary>
internal sealed class BenchRunner(RunOptions options, TextWriter output, TextWriter progress)
{
    private Tunnel.BenchTunnel? _tunnel;

    /// <summary>Runs everything; returns the process exit code (see <see cref="ExitCodes"/>).</summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var startedAt = TimeProvider.System.GetUtcNow();
        var (backends, backendError, badAddress) = await BackendSet.StartAsync(options, cancellationToken);
        if (backends is null)
        {
            progress.WriteLine($"ERROR backends did not start: {backendError}");
            return badAddress ? ExitCodes.BadArguments : ExitCodes.PhaseFailed;
        }

        await using (backends)
        {
            var direct = new BenchTarget(BenchTarget.DirectName, backends.Echo, backends.Sink);
            progress.WriteLine($"backends: echo {backends.Echo}, sink {backends.Sink}");
            var (relay, relayProcess, description, error) = await RelaySetup.StartAsync(options, direct, cancellationToken);
            await using (relayProcess)
            {
                if (error is not null)
                {
                    progress.WriteLine($"ERROR {error}");
                    return ExitCodes.PhaseFailed;
                }

                // --tls: a second relay with mutual TLS, measured as a third path with its own CPU counter.
                using var pki = options.Tls ? Tls.BenchPki.Create(options.TlsRsaServerKey) : null;
                var (mtls, mtlsError) = pki is null ? (null, null)
                    : await RelayProcess.StartAsync(options, direct.Echo!, direct.Sink!, cancellationToken, pki);
                await using (mtls)
                {
                    if (mtlsError is not null)
                    {
                        progress.WriteLine($"ERROR mTLS relay did not start: {mtlsError}");
                        return ExitCodes.PhaseFailed;
                    }

                    // --openssl-reference: OpenSSL's own server with the same certificates, on the connect phase.
                    var (reference, referenceError) = pki is not null && options.OpenSslReference
                        ? await OpenSslServerProcess.StartAsync(pki, options.TlsResume, cancellationToken)
                        : (null, null);
                    await using var referenceProcess = reference;
                    if (referenceError is not null)
                    {
                        progress.WriteLine($"ERROR {referenceError}");
                        return ExitCodes.PhaseFailed;
                    }

                    // --tunnel: a gateway process and an edge whose routes go through it, measured as one more path.
                    var (tunnel, tunnelEdge, tunnelError) = await StartTunnelAsync(direct, cancellationToken);
                    await using var tunnelProcess = tunnelEdge;
                    await using var gateway = tunnel;
                    if (tunnelError is not null)
                    {
                        progress.WriteLine($"ERROR tunnel path did not start: {tunnelError}");
                        return ExitCodes.PhaseFailed;
                    }

                    _tunnel = tunnel;
                    var failures = new List<string>();
                    var paths = new List<(BenchTarget Target, CpuSampler Cpu, ChildProcess? Process)> { (direct, new CpuSampler(relayProcess?.Child.Process, backends.Processes), null) };
                    if (relay is not null)
                    {
                        paths.Add((relay, new CpuSampler(relayProcess?.Child.Process, backends.Processes), relayProcess?.Child));
                    }

                    if (mtls is not null)
                    {
                        paths.Add((mtls.Target, new CpuSampler(mtls.Child.Process, backends.Processes), mtls.Child));
                        description += $"; mTLS relay ({(options.TlsRsaServerKey ? "RSA 2048" : "ECDSA P-256")} server key): {mtls.Child.CommandLine}";
                    }

                    if (reference is not null)
                    {
                        paths.Add((reference.Target, new CpuSampler(reference.Child.Process, backends.Processes), reference.Child));
                        description += $"; reference: {reference.Child.CommandLine}";
                    }

                    if (tunnelEdge is not null)
                    {
                        paths.Add((tunnelEdge.Target, new CpuSampler(tunnelEdge.Child.Process, backends.Processes), tunnelEdge.Child));
                        description += $"; tunnel edge: {tunnelEdge.Child.CommandLine}; gateway: {tunnel!.Process!.CommandLine}";
                    }

                    var results = await RunPhasesAsync(paths, failures, cancellationToken);
                    return Report(startedAt, description, results, failures);
                }
            }
        }
    }

    private async Task<List<PhaseResult>> RunPhasesAsync(
        List<(BenchTarget Target, CpuSampler Cpu, ChildProcess? Process)> allPaths, List<string> failures, CancellationToken cancellationToken)
    {
        var roundOptions = RoundPlan.ForOneRound(options);
        var results = new List<PhaseResult>();
        foreach (var phase in options.Phases)
        {
            // The mTLS path takes the phases that measure what TLS costs: bulk throughput and full handshakes.
            // OpenSSL's s_server is the handshake reference: the connect phase only.
            var paths = allPaths.Where(p => p.Target.Tls is null || phase is PhaseKind.Connect
                || (phase is PhaseKind.Bulk or PhaseKind.BulkMany && p.Target.Name != BenchTarget.OpenSslName)).ToList();
            var targets = paths.Select(p => p.Target).ToArray();
            // One recorder per path for the whole phase, so the percentiles cover every round.
            var recorders = targets.Select(_ => new LatencyRecorder()).ToArray();
            var rounds = targets.Select(_ => new List<PhaseResult>()).ToArray();
            var handshakesBefore = _tunnel is null ? null : await _tunnel.EdgeHandshakesAsync(cancellationToken);
            for (var round = 1; round <= options.Rounds && rounds.All(r => r.All(x => x.Succeeded)); round++)
            {
                for (var i = 0; i < targets.Length; i++)
                {
                    Settle();
                    var context = new PhaseContext(WarmupFor(roundOptions, phase, round, targets[i]), targets[i], paths[i].Cpu, recorders[i]);
                    var result = await PhaseDispatcher.RunAsync(phase, context, cancellationToken);
                    rounds[i].Add(result);
                    // Latency is left out per round: the recorder is shared, so its percentiles so far are cumulative.
                    progress.WriteLine($"{Describe(result with { Latency = null })} (round {round}/{options.Rounds})");
                }

                if (paths.Any(p => p.Process?.ExitCode is not null))
                {
                    break;
                }
            }

            var handshakesAfter = _tunnel is null ? null : await _tunnel.EdgeHandshakesAsync(cancellationToken);
            foreach (var combined in rounds.Select(RoundPlan.Combine).Select(WithCpuPerConnection).Select(r => WithTunnelHandshakes(r, handshakesBefore, handshakesAfter)))
            {
                results.Add(combined);
                progress.WriteLine($"{Describe(combined)} (all rounds)");
                if (combined.Error is not null)
                {
                    failures.Add($"{phase.ToName()} on {combined.Path}: {combined.Error}");
                }
            }

            if (paths.FirstOrDefault(p => p.Process?.ExitCode is not null) is { Process: { ExitCode: { } code } relayProcess } exited)
            {
                failures.Add($"the {exited.Target.Name} path's process exited with code {code} during {phase.ToName()}; last output: {string.Join(" | ", relayProcess.LastOutput)}");
                break; // The remaining relay phases would only fail to connect.
            }
        }

        return results;
    }

    private int Report(DateTimeOffset startedAt, string? relayDescription, List<PhaseResult> results, List<string> failures)
    {
        var report = new BenchReport
        {
            Version = typeof(BenchRunner).Assembly.GetName().Version?.ToString(3) ?? "0.0.0",
            StartedAt = startedAt,
            FinishedAt = TimeProvider.System.GetUtcNow(),
            Machine = MachineInfo.Current(),
            Settings = ReportSettings.From(options, relayDescription),
            Results = results,
            Comparisons = ComparisonBuilder.Build(options, results),
            Acceptance = AcceptanceCheck.Evaluate(options, results),
            Failures = failures,
        };
        ReportTable.Print(output, report);
        try
        {
            var (json, svg) = ReportFiles.Write(options, report);
            output.WriteLine();
            output.WriteLine($"wrote {json} and {svg}");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            progress.WriteLine($"ERROR cannot write the report to {options.OutputDirectory}: {ex.Message}");
            return ExitCodes.PhaseFailed;
        }

        foreach (var failure in failures)
        {
            progress.WriteLine($"ERROR {failure}"); // Again on stderr, so a redirected table does not hide it.
        }

        return failures.Count == 0 ? ExitCodes.Success : ExitCodes.PhaseFailed;
    }

    // The tunnel path's note: the handshakes its edge made during the phase (0: every session rode the warm pool).
    private static PhaseResult WithTunnelHandshakes(PhaseResult result, long? before, long? after) =>
        result.Path == BenchTarget.TunnelName
            ? result with { Note = string.Create(CultureInfo.InvariantCulture, $"{(result.Note is null ? "" : result.Note + "; ")}tunnel handshakes during the phase: {(after - before)?.ToString(CultureInfo.InvariantCulture) ?? "unknown"} ({after?.ToString(CultureInfo.InvariantCulture) ?? "?"} since start, the pre-warmed pool)") }
            : result;

    private async Task<(Tunnel.BenchTunnel? Gateway, RelayProcess? Edge, string? Error)> StartTunnelAsync(BenchTarget direct, CancellationToken cancellationToken)
    {
        if (!options.Tunnel)
        {
            return (null, null, null);
        }

        var (gateway, error) = await Tunnel.BenchTunnel.StartAsync(options, cancellationToken);
        if (gateway is null)
        {
            return (null, null, error);
        }

        var (edge, edgeError) = await RelayProcess.StartAsync(options, direct.Echo!, direct.Sink!, cancellationToken, pki: null, gateway);
        if (edge is null)
        {
            await gateway.DisposeAsync();
            return (null, null, edgeError);
        }

        // The pool pre-warms in the background: give it its handshakes before the first phase (bounded).
        for (var waited = 0; waited < 100 && (await gateway.EdgeHandshakesAsync(cancellationToken) ?? 0) < 4; waited++)
        {
            await Task.Delay(50, cancellationToken);
        }

        return (gateway, edge, null);
    }

    // Relay CPU time per connection (connect phase): on the mTLS path, the relay's CPU per full handshake.
    private static PhaseResult WithCpuPerConnection(PhaseResult result) =>
        result.Phase == PhaseKind.Connect && result.RelayCpuPercent is { } cpu && result.Operations > 0 && result.Path != BenchTarget.DirectName
            ? result with { Note = string.Create(CultureInfo.InvariantCulture, $"{(result.Path == BenchTarget.OpenSslName ? "s_server" : "relay")} CPU {cpu / 100 * result.ElapsedSeconds / result.Operations * 1000:0.000} ms per connection{(result.Path is BenchTarget.MutualTlsName or BenchTarget.OpenSslName ? " (mTLS handshake, exchange, close)" : "")}") }
            : result;

    // --tls-warmup: the first connect round on a TLS path warms up for at least that long, bounded by time (and by the
    // round's connection count), not by the usual tenth of it.
    private static RunOptions WarmupFor(RunOptions round, PhaseKind phase, int number, BenchTarget target) =>
        number == 1 && phase == PhaseKind.Connect && target.Tls is not null && round.TlsWarmup > TimeSpan.Zero && round.TlsWarmup >= round.Warmup
            ? round with { Warmup = round.TlsWarmup, ConnectWarmupCount = round.ConnectCount }
            : round;

    private static void Settle()
    {
        // Start every measurement from a clean heap, so one phase's garbage is not collected in the next one's window.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    private static string Describe(PhaseResult r)
    {
        var head = $"[{r.Phase.ToName()}] {r.Path}:";
        if (r.Error is not null)
        {
            return $"{head} FAILED: {r.Error}";
        }

        var rate = r.MegabytesPerSecond is { } mbps
            ? string.Create(CultureInfo.InvariantCulture, $"{mbps:N0} MB/s")
            : string.Create(CultureInfo.InvariantCulture, $"{r.OperationsPerSecond:N0}/s");
        var latency = r.Latency is { } l
            ? string.Create(CultureInfo.InvariantCulture, $", p50 {l.P50Micros:0.0} µs, p99 {l.P99Micros:0.0} µs")
            : "";
        var note = r.Note is null ? "" : $"; {r.Note}";
        return string.Create(CultureInfo.InvariantCulture, $"{head} {rate}{latency}{note}, harness CPU {r.HarnessCpuPercent:0}%{(r.RelayCpuPercent is { } c ? $", relay CPU {c:0}%" : "")}{(r.BackendCpuPercent is { } b ? $", backends CPU {b:0}%" : "")}");
    }
}
