using BenchmarkDotNet.Attributes;
using FastRelay.Configuration;
using FastRelay.Routing;

namespace FastRelay.Benchmarks;

/// <summary>
/// Hot path: picking the backend of every new session (BackendPicker.Pick): the cached candidate set looked up by
/// list instance, the health/ejection filter into stack space, then power-of-two-choices (equal weights) or smooth
/// weighted round-robin over weight / (outstanding + 1) (unequal). Must allocate 0 B. Backends sweep a pair, a
/// typical pool and a wide one (the filter and the round-robin pass are linear in it).
/// </summary>
[MemoryDiagnoser]
public class BackendPickerBench
{
    private BackendPicker _picker = null!;
    private List<TargetOptions> _targets = null!;

    [Params(2, 8, 64)]
    public int Backends { get; set; }

    [Params(false, true)]
    public bool Weighted { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _picker = new BackendPicker(new BackendRegistry(new BalancingOptions(), TimeProvider.System), Random.Shared);
        _targets = [.. Enumerable.Range(0, Backends).Select(i => new TargetOptions($"10.0.0.{i}", 443, Weighted ? 1 + (i % 5) : 1))];
        for (var i = 0; i < Backends; i++)
        {
            // Some sessions outstanding, some latency known: the comparisons run as in production.
            var backend = _picker.Registry.Get(_targets[i]);
            for (var s = 0; s < i % 3; s++)
            {
                backend.DialStarted();
            }

            backend.ConnectLatency.Add(TimeSpan.FromMilliseconds(1 + (i % 7)));
        }

        _picker.Pick(_targets);
    }

    [Benchmark]
    public TargetOptions? Pick() => _picker.Pick(_targets).Target;

    /// <summary>What a session does with the pick: the dial's bookkeeping (outstanding count, dial timestamp) and its end.</summary>
    [Benchmark]
    public TargetOptions? PickAndDial()
    {
        var pick = _picker.Pick(_targets);
        pick.Backend!.DialStarted();
        pick.Backend.DialAbandoned();
        return pick.Target;
    }
}
