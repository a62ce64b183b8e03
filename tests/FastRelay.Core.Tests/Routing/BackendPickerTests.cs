using FastRelay.Configuration;
using FastRelay.Routing;
using FastRelay.TestKit;
using Microsoft.Extensions.Time.Testing;

namespace FastRelay.Core.Tests.Routing;

public sealed class BackendPickerTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void Pick_Weights4To1_CanaryGetsExactlyTwoHundredOfAThousand()
    {
        // Sequential sessions (none overlapping): the effective weights are the configured ones.
        var picker = Picker();
        List<TargetOptions> targets = [new("stable", 1, 4), new("canary", 1, 1)];
        var canary = 0;
        for (var i = 0; i < 1000; i++)
        {
            var pick = Session(picker, targets);
            canary += pick.Target!.Host == "canary" ? 1 : 0;
        }

        Assert.Equal(200, canary);
    }

    [Theory]
    [InlineData(1000)] // Every session held open to the end.
    [InlineData(50)] // Fifty open at a time, each ending in turn.
    [InlineData(2)]
    public void Pick_Weights4To1_SessionsThatOverlap_CanaryStillGetsAFifth(int open)
    {
        // README: a weight is the share of new sessions "whether they overlap or arrive one after another". Backends
        // that hold sessions equally long must not drift from it (weight / (outstanding + 1) settled at 2:1 here).
        var picker = Picker();
        List<TargetOptions> targets = [new("stable", 1, 4), new("canary", 1, 1)];
        var held = new Queue<BackendState>();
        var canary = 0;
        for (var i = 0; i < 1000; i++)
        {
            var pick = picker.Pick(targets);
            pick.Backend!.DialStarted();
            pick.Backend.DialSucceeded(TimeSpan.FromMilliseconds(1));
            held.Enqueue(pick.Backend);
            if (held.Count > open)
            {
                held.Dequeue().SessionEnded();
            }

            canary += pick.Target!.Host == "canary" ? 1 : 0;
        }

        Assert.InRange(canary, 190, 220);
    }

    [Fact]
    public void Pick_UnequalWeights_AreSmooth()
    {
        // nginx's smooth weighted round-robin: 5,1,1 interleaves the heavy target instead of bursting it.
        var picker = Picker();
        List<TargetOptions> targets = [new("a", 1, 5), new("b", 1, 1), new("c", 1, 1)];
        Assert.Equal(["a", "a", "b", "a", "c", "a", "a"], Enumerable.Range(0, 7).Select(_ => Session(picker, targets).Target!.Host));
    }

    [Fact]
    public void Pick_UnequalWeights_LeanAwayFromABackendHoldingSessions()
    {
        // weight / (1 + outstanding / weight): "stable" (weight 2) holding 6 sessions counts as 0.5 against the canary's 1.
        var picker = Picker();
        List<TargetOptions> targets = [new("stable", 1, 2), new("canary", 1, 1)];
        for (var i = 0; i < 6; i++)
        {
            picker.Registry.Get(targets[0]).DialStarted();
        }

        var canary = Enumerable.Range(0, 300).Count(_ => Session(picker, targets).Target!.Host == "canary");
        Assert.Equal(200, canary);
    }

    [Fact]
    public void Pick_EqualWeights_PowerOfTwoChoicesNeverPicksTheBusierOfTwo()
    {
        var picker = Picker();
        List<TargetOptions> targets = [new("busy", 1, 1), new("idle", 1, 1)];
        picker.Registry.Get(targets[0]).DialStarted();
        Assert.All(Enumerable.Range(0, 100), _ => Assert.Equal("idle", picker.Pick(targets).Target!.Host));
    }

    [Fact]
    public void Pick_EqualWeights_TieGoesToTheLowerConnectLatency()
    {
        var picker = Picker();
        List<TargetOptions> targets = [new("slow", 1, 1), new("fast", 1, 1)];
        picker.Registry.Get(targets[0]).ConnectLatency.Add(TimeSpan.FromMilliseconds(50));
        picker.Registry.Get(targets[1]).ConnectLatency.Add(TimeSpan.FromMilliseconds(1));
        Assert.All(Enumerable.Range(0, 100), _ => Assert.Equal("fast", picker.Pick(targets).Target!.Host));
    }

    [Fact]
    public void Pick_EqualWeights_NeverEjected_ABackendThatRefusesLosesTheTiesUntilItsPenaltyFades()
    {
        // --eject-after 0: only the connect EWMA keeps sequential sessions off a backend that refuses every connect.
        var picker = Picker(new BalancingOptions { EjectAfter = 0 });
        List<TargetOptions> targets = [new("dead", 1, 1), new("live", 1, 1)];
        var counts = new Dictionary<string, int> { ["dead"] = 0, ["live"] = 0 };
        for (var i = 0; i < 200; i++)
        {
            var pick = picker.Pick(targets);
            counts[pick.Target!.Host]++;
            pick.Backend!.DialStarted();
            if (pick.Target.Host == "dead")
            {
                pick.Backend.DialFailed(TimeSpan.FromSeconds(5));
                continue;
            }

            pick.Backend.DialSucceeded(TimeSpan.FromMilliseconds(1));
            pick.Backend.SessionEnded();
            _time.Advance(TimeSpan.FromMilliseconds(20));
        }

        Assert.InRange(counts["dead"], 1, 2); // Tried while both were unmeasured, then never within the 4 s.
        Assert.Equal(5000, picker.Registry.Get(targets[0]).ConnectLatency.Milliseconds, 3);

        // A quiet spell fades the penalty: the dead backend is sampled again rather than written off for good.
        _time.Advance(TimeSpan.FromSeconds(15));
        Assert.Contains(Enumerable.Range(0, 100), _ => picker.Pick(targets).Target!.Host == "dead");
    }

    [Theory]
    [InlineData(10.0, 12.0, 0)] // Within a quarter: a tie.
    [InlineData(0.1, 0.3, 0)] // Microseconds of jitter: a tie, whatever the ratio.
    [InlineData(1.0, 20.0, -1)]
    [InlineData(20.0, 10.0, 1)]
    public void CompareLatency_OnlyAClearDifferenceCounts(double a, double b, int expected) =>
        Assert.Equal(expected, Math.Sign(BackendPicker.CompareLatency(a, b)));

    [Fact]
    public void Pick_EqualWeights_SpreadsSequentialSessionsEvenly()
    {
        var picker = Picker();
        List<TargetOptions> targets = [new("a", 1, 1), new("b", 1, 1), new("c", 1, 1), new("d", 1, 1)];
        var counts = Enumerable.Range(0, 4000).Select(_ => Session(picker, targets).Target!.Host).GroupBy(h => h).ToDictionary(g => g.Key, g => g.Count());
        Assert.All(counts.Values, c => Assert.InRange(c, 850, 1150));
    }

    [Fact]
    public void Pick_EjectedBackend_IsSkippedUntilItsTimeIsUp()
    {
        var picker = Picker(new BalancingOptions { EjectAfter = 2, EjectTime = TimeSpan.FromSeconds(10) });
        List<TargetOptions> targets = [new("dead", 1, 1), new("alive", 1, 1)];
        var dead = picker.Registry.Get(targets[0]);
        Fail(dead, 2);
        Assert.True(dead.IsEjected);
        Assert.All(Enumerable.Range(0, 50), _ => Assert.Equal("alive", picker.Pick(targets).Target!.Host));

        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.False(dead.IsEjected);
        Assert.Contains(Enumerable.Range(0, 50).Select(_ => picker.Pick(targets).Target!.Host), h => h == "dead");
    }

    [Fact]
    public void Pick_DownBackend_IsSkipped()
    {
        var picker = Picker(new BalancingOptions { HealthCheck = HealthCheckKind.Tcp, HealthFall = 1 });
        List<TargetOptions> targets = [new("down", 1, 4), new("up", 1, 1)];
        picker.Registry.Get(targets[0]).ReportCheck(passed: false, "connection refused");
        Assert.All(Enumerable.Range(0, 50), _ => Assert.Equal("up", Session(picker, targets).Target!.Host));
    }

    [Fact]
    public void Pick_EveryCandidateDown_PanicModePicksAmongAll()
    {
        var picker = Picker(new BalancingOptions { HealthCheck = HealthCheckKind.Tcp, HealthFall = 1 });
        List<TargetOptions> targets = [new("a", 1, 1), new("b", 1, 1)];
        foreach (var t in targets)
        {
            picker.Registry.Get(t).ReportCheck(passed: false, "connection refused");
        }

        var picks = Enumerable.Range(0, 100).Select(_ => picker.Pick(targets)).ToList();
        Assert.All(picks, p => Assert.True(p.Panic));
        Assert.Equal(["a", "b"], picks.Select(p => p.Target!.Host).Distinct().Order());
    }

    [Fact]
    public void Pick_RetryWhenTheRestAreDown_NoneRatherThanPanic()
    {
        // The first pick failed its dial; the only other candidate is down: the retry does not land on it.
        var picker = Picker(new BalancingOptions { HealthCheck = HealthCheckKind.Tcp, HealthFall = 1 });
        List<TargetOptions> targets = [new("a", 1, 1), new("b", 1, 1)];
        picker.Registry.Get(targets[1]).ReportCheck(passed: false, "connection refused");

        var retry = picker.Pick(targets, [targets[0]]);

        Assert.Null(retry.Target);
        Assert.False(retry.Panic);
    }

    [Fact]
    public void Pick_Excluding_GivesEveryOtherCandidateOnceThenNone()
    {
        var picker = Picker();
        List<TargetOptions> targets = [new("a", 1, 3), new("b", 1, 1), new("c", 1, 1)];
        var tried = new List<TargetOptions>();
        while (picker.Pick(targets, tried.ToArray()) is { Found: true } pick)
        {
            tried.Add(pick.Target!);
        }

        Assert.Equal(["a", "b", "c"], tried.Select(t => t.Host).Order());
    }

    [Fact]
    public void Pick_ExcludingByIdentity_MatchesAnotherInstanceOfTheSameBackend()
    {
        var picker = Picker();
        List<TargetOptions> targets = [new("a", 1, 1), new("b", 1, 1)];
        Assert.All(Enumerable.Range(0, 20), _ => Assert.Equal("b", picker.Pick(targets, [new TargetOptions("A", 1, 7)]).Target!.Host));
    }

    [Fact]
    public void Pick_NewListWithTheSameBackends_KeepsTheirState()
    {
        // A reload or a new discovery answer is a new list instance; the backend's state is by identity.
        var picker = Picker();
        List<TargetOptions> before = [new("a", 1, 1), new("b", 1, 1)];
        picker.Registry.Get(before[0]).DialStarted();
        List<TargetOptions> after = [new("a", 1, 1), new("b", 1, 1)];
        Assert.Same(picker.Registry.Get(before[0]), picker.Pick(after, [after[1]]).Backend);
        Assert.All(Enumerable.Range(0, 20), _ => Assert.Equal("b", picker.Pick(after).Target!.Host));
    }

    [Theory]
    [InlineData(2, false)]
    [InlineData(8, false)]
    [InlineData(64, false)]
    [InlineData(2, true)]
    [InlineData(64, true)]
    public void Pick_SameListAgain_AllocatesNothing(int count, bool weighted)
    {
        var picker = Picker();
        List<TargetOptions> targets = [.. Enumerable.Range(0, count).Select(i => new TargetOptions($"10.0.0.{i}", 443, weighted ? 1 + (i % 5) : 1))];
        picker.Pick(targets); // The first pick of a list derives its cache entry.
        Assert.Equal(0, Allocations.FewestBytesOnThisThread(() => picker.Pick(targets), iterations: 1000));
    }

    [Fact]
    public void Pick_EmptyList_FindsNothing() => Assert.False(Picker().Pick([]).Found);

    private BackendPicker Picker(BalancingOptions? options = null) =>
        new(new BackendRegistry(options ?? new BalancingOptions(), _time), new Random(42));

    // A whole sequential session: picked, dialled, connected, ended.
    private static BackendPick Session(BackendPicker picker, List<TargetOptions> targets)
    {
        var pick = picker.Pick(targets);
        pick.Backend!.DialStarted();
        pick.Backend.DialSucceeded(TimeSpan.FromMilliseconds(1));
        pick.Backend.SessionEnded();
        return pick;
    }

    private static void Fail(BackendState backend, int times)
    {
        for (var i = 0; i < times; i++)
        {
            backend.DialStarted();
            backend.DialFailed(TimeSpan.FromSeconds(5));
        }
    }
}
