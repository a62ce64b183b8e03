using FastRelay.Configuration;
using FastRelay.Upstreams;

namespace FastRelay.TestKit;

/// <summary>
/// A dialer that fails the targets a test names (as "unreachable", without sending a packet anywhere) and
/// dials the others for real. Counts every attempt.
/// </summary>
public sealed class FakeUpstreamDialer(params string[] failingTargets) : IUpstreamDialer
{
    private readonly TcpUpstreamDialer _real = new();
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _dialled = new();
    private int _attempts;

    /// <summary>Dial attempts so far.</summary>
    public int Attempts => Volatile.Read(ref _attempts);

    /// <summary>Every target dialled so far, in order (HOST:PORT).</summary>
    public IReadOnlyList<string> Dialled => [.. _dialled];

    /// <inheritdoc />
    public ValueTask<DialResult> DialAsync(TargetOptions target, TimeSpan timeout, IDialGuard? guard, CancellationToken cancellationToken)
    {
        _dialled.Enqueue(target.ToString());
        Interlocked.Increment(ref _attempts);
        return failingTargets.Contains(target.ToString())
            ? ValueTask.FromResult(new DialResult(null, "unreachable (simulated)"))
            : _real.DialAsync(target, timeout, guard, cancellationToken);
    }
}
