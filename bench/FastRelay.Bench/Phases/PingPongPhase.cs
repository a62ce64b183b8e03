using System.Diagnostics;
using FastRelay.Bench.Client;
using FastRelay.Bench.Measurement;

namespace FastRelay.Bench.Phases;

/// <summary>
/// Phases (1) and (2): <c>sessions</c> connections to the echo backend, all doing sequential ping-pong at once.
/// With one session this is the pure round-trip latency; with many it is exchanges per second under load.
/// </summary>
internal static class PingPongPhase
{
    // Bounds the run by count as well as by time, whatever the machine's speed.
    private const long MaxExchangesPerPhase = 200_000_000;

    /// <summary>Runs the phase on <see cref="PhaseContext.Target"/>; failures come back as values.</summary>
    public static async Task<PhaseResult> RunAsync(PhaseContext context, PhaseKind kind, int sessionCount, CancellationToken cancellationToken)
    {
        var options = context.Options;
        var result = new PhaseResult { Phase = kind, Path = context.Target.Name };

        // 1. Open every connection first, so setup cost stays out of the measured window.
        var opening = Stopwatch.StartNew();
        var (sockets, error) = await ConnectionOpener.OpenAsync(context.Target.Echo!, sessionCount, options.ConnectTimeout, cancellationToken);
        if (sockets is null)
        {
            return result with { Error = error };
        }

        var note = $"opened {sessionCount} connection(s) in {opening.Elapsed.TotalMilliseconds:0} ms";
        var sessions = sockets.Select((socket, i) => new PingPongSession(socket, i, options.MessageBytes)).ToArray();
        var stage = new PhaseStage();
        var maxPerSession = Math.Max(1, MaxExchangesPerPhase / sessionCount);

        // 2. Start all loops in warm-up, then measure for the duration; a loop that fails early ends the wait.
        var loops = Task.WhenAll(sessions.Select(s => Task.Run(() => s.RunAsync(stage, context.Recorder, maxPerSession), CancellationToken.None)));
        try
        {
            await WaitAsync(loops, options.Warmup, cancellationToken);
            var window = MeasuredWindow.Begin(context.Cpu);
            stage.Set(Stage.Measuring);
            await WaitAsync(loops, options.Duration, cancellationToken);
            stage.Set(Stage.Stopped);
            var totals = window.End();

            // 3. Let the loops finish their last exchange and close cleanly, or abort them at the hard limit.
            await StopAsync(sessions, loops, context.CloseGrace);
            var exchanges = sessions.Sum(s => s.MeasuredExchanges);
            result = result with { Operations = exchanges, Latency = context.Recorder.Summarize(), Note = note };
            return result.WithWindow(totals) with { Error = Describe(sessions, exchanges) };
        }
        finally
        {
            stage.Set(Stage.Stopped);
            await StopAsync(sessions, loops, TimeSpan.Zero);
            foreach (var session in sessions)
            {
                session.Dispose();
            }
        }
    }

    private static async Task WaitAsync(Task loops, TimeSpan time, CancellationToken cancellationToken)
    {
        await Task.WhenAny(loops, Task.Delay(time, cancellationToken));
        cancellationToken.ThrowIfCancellationRequested();
    }

    private static async Task StopAsync(PingPongSession[] sessions, Task loops, TimeSpan grace)
    {
        if (!loops.IsCompleted && grace > TimeSpan.Zero)
        {
            await Task.WhenAny(loops, Task.Delay(grace));
        }

        if (!loops.IsCompleted)
        {
            foreach (var session in sessions)
            {
                session.Abort();
            }

            await loops; // Aborted sockets fail their pending operation at once; failures are recorded as values.
        }
    }

    private static string? Describe(PingPongSession[] sessions, long exchanges)
    {
        var failed = sessions.Where(s => s.Failure is not null).ToList();
        if (failed.Count > 0)
        {
            return $"{failed.Count} of {sessions.Length} session(s) failed; first: {failed[0].Failure}";
        }

        return exchanges == 0 ? "no exchange completed in the measured window" : null;
    }
}
