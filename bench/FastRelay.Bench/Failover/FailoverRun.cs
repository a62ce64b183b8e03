using System.Diagnostics;
using System.Net;
using System.Text.Json;
using FastRelay.Backends;
using FastRelay.Bench.Client;
using FastRelay.Bench.Targets;

namespace FastRelay.Bench.Failover;

/// <summary>
/// The failover measurement (issue 6: "with two gateways and 1,000 sessions running, killing one gateway process makes
/// every new session succeed within 1 s of the kill"): an echo backend, two gateways and an edge as child processes;
/// N long-lived ping-pong sessions plus a steady stream of new ones; the first gateway killed (SIGKILL) or hung
/// (SIGSTOP) by its PID at a set time; the load goes on for a few seconds; then <see cref="FailoverReport"/>.
/// </summary>
/// <remarks>Bounded: the sessions are opened once, the new ones at a fixed rate with at most 2,000 in flight, each with a 3 s timeout.</remarks>
internal static class FailoverRun
{
    public static async Task<int> ExecuteAsync(FailoverOptions options, TextWriter output, CancellationToken cancellationToken)
    {
        var startedAt = DateTimeOffset.UtcNow;
        var (backendChild, echo, backendError) = await BackendProcess.StartAsync(BackendMode.Echo, new IPEndPoint(IPAddress.Loopback, 0), cancellationToken);
        if (backendChild is null)
        {
            await Console.Error.WriteLineAsync($"fastrelay-bench failover: {backendError}");
            return ExitCodes.PhaseFailed;
        }

        await using var backend = backendChild;
        var (started, startError) = await FailoverNodes.StartAsync(options, echo!, cancellationToken);
        if (started is null)
        {
            await Console.Error.WriteLineAsync($"fastrelay-bench failover: {startError}");
            return ExitCodes.PhaseFailed;
        }

        await using var nodes = started;
        await output.WriteLineAsync($"fastrelay-bench failover: edge {nodes.EdgeCommand}");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        // The pool pre-warms both gateways; give it a moment, then open the established sessions in batches.
        await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        var (sessions, openError) = await OpenSessionsAsync(nodes.Listen!, options, stop.Token);
        if (openError is not null)
        {
            await output.WriteLineAsync($"  {sessions.Count} of {options.Sessions} established sessions opened; first error: {openError}");
        }

        var load = new NewSessionLoad();
        var loading = load.RunAsync(nodes.Listen!, options.NewPerSecond, stop.Token);
        await Task.Delay(options.KillAfter, cancellationToken);

        var victim = nodes.Gateways[0].Process.Id;
        var killAt = Stopwatch.GetTimestamp();
        if (!Signals.Send(victim, options.Signal))
        {
            await Console.Error.WriteLineAsync($"fastrelay-bench failover: could not signal gateway pid {victim} (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()})");
            await stop.CancelAsync();
            return ExitCodes.PhaseFailed;
        }

        await output.WriteLineAsync($"  {(options.Signal == KillSignal.Kill ? "SIGKILL" : "SIGSTOP")} sent to gateway pid {victim} after {options.KillAfter.TotalSeconds:0.#} s of load");
        await Task.Delay(options.RunAfter, cancellationToken);
        var endAt = Stopwatch.GetTimestamp();
        await stop.CancelAsync();
        await loading;
        sessions.ForEach(s => s.Close());
        await Task.WhenAll(sessions.Select(s => s.Completion));

        var report = FailoverReport.Build(options, startedAt, nodes.EdgeCommand, killAt, endAt, load.Outcomes, load.Skipped, sessions);
        foreach (var line in report.Lines())
        {
            await output.WriteLineAsync(line);
        }

        if (options.JsonPath is { } path)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            await File.WriteAllTextAsync(path, JsonSerializer.Serialize(report, FailoverJsonContext.Default.FailoverReport), cancellationToken);
            await output.WriteLineAsync($"  report: {path}");
        }

        return report.Passed ? ExitCodes.Success : ExitCodes.PhaseFailed;
    }

    private static async Task<(List<LongSession> Sessions, string? FirstError)> OpenSessionsAsync(IPEndPoint edge, FailoverOptions options, CancellationToken stop)
    {
        const int Batch = 100;
        var sessions = new List<LongSession>(options.Sessions);
        string? firstError = null;
        for (var start = 0; start < options.Sessions; start += Batch)
        {
            var batch = Enumerable.Range(0, Math.Min(Batch, options.Sessions - start)).Select(_ => LongSession.OpenAsync(edge, options.PingEvery, stop)).ToList();
            foreach (var task in batch)
            {
                try
                {
                    sessions.Add(await task);
                }
                catch (Exception ex) when (ClientSocket.IsNetworkFailure(ex))
                {
                    firstError ??= ex.Message; // Reported; the run goes on with the sessions that opened.
                }
            }
        }

        return (sessions, firstError);
    }
}
