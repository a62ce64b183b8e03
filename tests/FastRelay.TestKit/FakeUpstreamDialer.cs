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
    private int _attempts;

    /// <summary>Dial attempts so far.</summary>
    public int Attempts => Volatile.Read(ref _attempts);

    /// <inheritdoc />
    public ValueTask<DialResult> DialAsync(TargetOptions target, TimeSpan timeout, IDialGuard? guard, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _attempts);
        return failingTargets.Contains(target.ToString())
            ? ValueTask.FromResult(new DialResult(null, "unreachable (simulated)"))
            : _real.DialAsync(target, timeout, guard, cancellationToken);
    }
}
