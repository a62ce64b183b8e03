using System.Runtime.CompilerServices;
using FastRelay.Configuration;
using FastRelay.Routing;
using Microsoft.Extensions.Time.Testing;

namespace FastRelay.Core.Tests.Routing;

/// <summary>
/// The registry is bounded: a backend address nobody uses any more is let go after <see cref="BackendRegistry.IdleTime"/>,
/// while a state that something still holds (a candidate list, a session) keeps its identity.
/// </summary>
public sealed class BackendRegistryTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void ChurningAddresses_AreLetGo_AfterTheIdleTime()
    {
        var registry = new BackendRegistry(new BalancingOptions(), _time);
        TouchMany(registry, 0, 5_000); // Discovery answers that came and went; nothing holds their states.
        Assert.Equal(5_000, registry.Count);

        _time.Advance(BackendRegistry.IdleTime + TimeSpan.FromMinutes(1));
        registry.Sweep(_time.GetTimestamp()); // Unpins them.
        CollectGarbage();
        TouchMany(registry, 5_000, 1); // Growth runs the sweep (at most once a minute): the dead entries go.

        Assert.True(registry.Count < 100, $"{registry.Count} entries left of 5,001");
    }

    [Fact]
    public void AHeldState_KeepsItsIdentity_ThroughSweeps()
    {
        var registry = new BackendRegistry(new BalancingOptions(), _time);
        var target = new TargetOptions("10.0.0.7", 443, 1);
        var held = registry.Get(target); // As a candidate set holds it.
        held.DialStarted();
        held.DialFailed(TimeSpan.FromSeconds(5));

        _time.Advance(BackendRegistry.IdleTime + TimeSpan.FromMinutes(1));
        registry.Sweep(_time.GetTimestamp());
        CollectGarbage();
        registry.Sweep(_time.GetTimestamp());

        Assert.Same(held, registry.Get(target));
        Assert.Same(held, registry.Find(BackendKey.Of(target)));
        GC.KeepAlive(held);
    }

    [Fact]
    public void AStateWithASessionOnIt_StaysPinned()
    {
        var registry = new BackendRegistry(new BalancingOptions(), _time);
        var target = new TargetOptions("10.0.0.8", 443, 1);
        StartSession(registry, target); // Only the session counter refers to it from here on.

        _time.Advance(BackendRegistry.IdleTime + TimeSpan.FromMinutes(1));
        registry.Sweep(_time.GetTimestamp());
        CollectGarbage();

        Assert.Equal(1, registry.Get(target).Outstanding); // The same state, its session still counted.
    }

    [Fact]
    public void AnUnusedState_IsReplacedByAFreshOne_WhenTheAddressComesBack()
    {
        var registry = new BackendRegistry(new BalancingOptions(), _time);
        var target = new TargetOptions("10.0.0.9", 443, 1);
        var failures = FailOnce(registry, target);
        Assert.Equal(1, failures);

        _time.Advance(BackendRegistry.IdleTime + TimeSpan.FromMinutes(1));
        registry.Sweep(_time.GetTimestamp());
        CollectGarbage();

        Assert.Empty(registry.All);
        Assert.Equal(0, registry.Get(target).ConnectFailures); // Forgotten: a fresh state.
    }

    [Fact]
    public void AStateUsedByDials_StaysPinned_UntilDialsStopForTheIdleTime()
    {
        // Picks go through candidate lists, not the registry: a dial is what says the state is in use. So a route
        // reload or a new discovery answer (a new list) still finds the backend's failures, ejection and latency.
        var registry = new BackendRegistry(new BalancingOptions(), _time);
        var target = new TargetOptions("10.0.0.10", 443, 1);
        DialThroughAListForHalfAnHour(registry, target); // The list (its only holder besides the registry) is gone after.
        CollectGarbage();

        Assert.Equal(6, registry.Get(target).ConnectFailures); // One state all along.

        _time.Advance(BackendRegistry.IdleTime + TimeSpan.FromMinutes(1));
        registry.Sweep(_time.GetTimestamp());
        CollectGarbage();
        Assert.Equal(0, registry.Get(target).ConnectFailures);
    }

    [Fact]
    public void ALongHealthInterval_KeepsTheCheckedStateBetweenChecks()
    {
        var registry = new BackendRegistry(new BalancingOptions { HealthInterval = TimeSpan.FromMinutes(20) }, _time);
        var target = new TargetOptions("10.0.0.11", 443, 1);
        Check(registry, target, passed: false);
        _time.Advance(TimeSpan.FromMinutes(15)); // Past IdleTime, before the next check.
        registry.Sweep(_time.GetTimestamp());
        CollectGarbage();
        Check(registry, target, passed: false);
        Check(registry, target, passed: false);

        Assert.False(registry.Get(target).IsHealthy); // Three failures in a row reached the same state (fall 3).
    }

    // A candidate list's view: one Get when the list is built, then six failed dials five minutes apart, with sweeps.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void DialThroughAListForHalfAnHour(BackendRegistry registry, TargetOptions target)
    {
        BackendState[] list = [registry.Get(target)];
        for (var i = 0; i < 6; i++)
        {
            list[0].DialStarted();
            list[0].DialFailed(TimeSpan.FromSeconds(5));
            _time.Advance(TimeSpan.FromMinutes(5));
            registry.Sweep(_time.GetTimestamp());
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Check(BackendRegistry registry, TargetOptions target, bool passed) => registry.Get(target).ReportCheck(passed, passed ? null : "refused");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void TouchMany(BackendRegistry registry, int first, int count)
    {
        for (var i = first; i < first + count; i++)
        {
            _ = registry.Get(new TargetOptions($"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}", 443, 1));
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void StartSession(BackendRegistry registry, TargetOptions target) => registry.Get(target).DialStarted();

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long FailOnce(BackendRegistry registry, TargetOptions target)
    {
        var state = registry.Get(target);
        state.DialStarted();
        state.DialFailed(TimeSpan.FromSeconds(5));
        return state.ConnectFailures;
    }

    private static void CollectGarbage()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }
}
