using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using FastRelay.Bench.Client;

namespace FastRelay.Bench.Failover;

/// <summary>
/// A steady stream of new sessions at a bounded rate: each connects, sends 16 bytes, waits for them back, and closes.
/// Each outcome is kept (start, end, success) for the report; at most <see cref="MaxInFlight"/> are in flight, the rest
/// are counted as skipped rather than piling up.
/// </summary>
internal sealed class NewSessionLoad
{
    private const int MaxInFlight = 2000;
    private static readonly TimeSpan SessionTimeout = TimeSpan.FromSeconds(3);
    private readonly ConcurrentQueue<NewSessionOutcome> _outcomes = new();
    private int _inFlight;
    private long _skipped;

    /// <summary>Every finished session so far.</summary>
    public IReadOnlyCollection<NewSessionOutcome> Outcomes => _outcomes;

    /// <summary>Sessions not started because <see cref="MaxInFlight"/> were still in flight.</summary>
    public long Skipped => Interlocked.Read(ref _skipped);

    /// <summary>Starts sessions at <paramref name="perSecond"/> until <paramref name="stop"/>; then waits for those in flight (at most their timeout).</summary>
    public async Task RunAsync(IPEndPoint edge, int perSecond, CancellationToken stop)
    {
        var started = Stopwatch.GetTimestamp();
        var running = new List<Task>();
        long n = 0;
        while (!stop.IsCancellationRequested)
        {
            // Paced against the start, not the last session: timer slack does not lower the rate.
            var due = started + (long)(n * Stopwatch.Frequency / (double)perSecond);
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
            if (wait > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(wait, stop);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }

            n++;
            if (Volatile.Read(ref _inFlight) >= MaxInFlight)
            {
                Interlocked.Increment(ref _skipped);
                continue;
            }

            Interlocked.Increment(ref _inFlight);
            running.Add(OneAsync(edge));
            running.RemoveAll(t => t.IsCompleted);
        }

        await Task.WhenAll(running);
    }

    private async Task OneAsync(IPEndPoint edge)
    {
        var start = Stopwatch.GetTimestamp();
        string? error = null;
        using var deadline = new CancellationTokenSource(SessionTimeout);
        try
        {
            using var socket = await ClientSocket.ConnectAsync(edge, SessionTimeout, deadline.Token);
            var buffer = new byte[16];
            await ClientSocket.SendAllAsync(socket, buffer, deadline.Token);
            if (await ClientSocket.ReceiveExactlyAsync(socket, buffer, deadline.Token) != buffer.Length)
            {
                error = "closed before the answer";
            }
        }
        catch (OperationCanceledException)
        {
            error = $"no answer within {SessionTimeout.TotalSeconds:0} s";
        }
        catch (Exception ex) when (ClientSocket.IsNetworkFailure(ex))
        {
            error = ex.Message;
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }

        _outcomes.Enqueue(new NewSessionOutcome(start, Stopwatch.GetTimestamp(), error));
    }
}

/// <summary>One new session: when it started and ended (Stopwatch timestamps) and why it failed (null: it succeeded).</summary>
internal readonly record struct NewSessionOutcome(long Start, long End, string? Error)
{
    public bool Succeeded => Error is null;
}
