using BenchmarkDotNet.Attributes;
using FastRelay.Configuration;
using FastRelay.Routing;

namespace FastRelay.Benchmarks;

/// <summary>
/// Hot path: picking a route target for every new connection (weighted round-robin, one atomic increment).
/// Must allocate 0 B; targets sweep a single backend to a wide weighted pool.
/// </summary>
[MemoryDiagnoser]
public class TargetSelectorBench
{
    private TargetSelector _selector = null!;

    [Params(1, 4, 64)]
    public int Targets { get; set; }

    [GlobalSetup]
    public void Setup() =>
        _selector = new TargetSelector(Enumerable.Range(0, Targets).Select(i => new TargetOptions($"10.0.0.{i}", 443, 1 + (i % 5))).ToList());

    [Benchmark]
    public TargetOptions Next() => _selector.Next();
}
