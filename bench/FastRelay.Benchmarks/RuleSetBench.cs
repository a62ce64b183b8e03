using System.Globalization;
using System.Net;
using System.Text;
using BenchmarkDotNet.Attributes;
using FastRelay.Filtering;

namespace FastRelay.Benchmarks;

/// <summary>
/// Hot path: the security-group decision taken for every accepted connection and every dial
/// (<see cref="CompiledRuleSet.Decide"/>), against the linear scan it replaces (the reference
/// implementation, Baseline). Issue 4's targets at 10,000 rules: at most 250 ns per decision, 0 B, and at
/// least 20x faster than the scan. Rule counts sweep a small hand-written policy to a generated one of
/// 10,000 rules with distinct source blocks (the worst case for the compiled tables' size). Each operation
/// is one decision, averaged over a fixed mix of requests: about half match a rule somewhere in the
/// evaluation order, the rest fall through to the default deny (a full scan for the baseline).
/// </summary>
[MemoryDiagnoser]
public class RuleSetBench
{
    private const int Requests = 256;
    private readonly FilterRequest[] _requests = new FilterRequest[Requests];
    private LinearRuleSet _linear = null!;
    private CompiledRuleSet _compiled = null!;

    [Params(10, 1_000, 10_000)]
    public int Rules { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        var policy = PolicyLoader.Load(GeneratePolicy(random, Rules));
        _linear = new LinearRuleSet(policy);
        _compiled = new CompiledRuleSet(policy);
        Console.WriteLine($"// RuleSetBench: {Rules} rules compile to {_compiled.MemoryBytes / 1024.0 / 1024.0:F1} MiB of tables");
        var at = new DateTimeOffset(2025, 6, 2, 1, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < Requests; i++)
        {
            // Sources cover the generated blocks (10.0.0.0/10) and beyond them; ports the generated range and beyond.
            var source = new IPAddress([10, (byte)random.Next(0, 80), (byte)random.Next(256), (byte)random.Next(256)]);
            var tuple = FiveTuple.Create(source, IPAddress.Parse("10.200.0.1"), random.Next(1, 2_100));
            _requests[i] = new FilterRequest(FilterDirection.Inbound, tuple, at, Service: "crm");
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Requests)]
    public int Linear() => Run(_linear);

    [Benchmark(OperationsPerInvoke = Requests)]
    public int Compiled() => Run(_compiled);

    private int Run<TRuleSet>(TRuleSet ruleSet)
        where TRuleSet : IRuleSet
    {
        var allowed = 0;
        foreach (ref readonly var request in _requests.AsSpan())
        {
            allowed += ruleSet.Decide(request).IsAllowed ? 1 : 0;
        }

        return allowed;
    }

    // Inbound rules: a /16 to /28 source block inside 10.0.0.0/10, one or a few ports below 2000, random
    // priority and action; one rule in 16 has a service condition, one in 64 a time window.
    private static string GeneratePolicy(Random random, int rules)
    {
        var json = new StringBuilder("""{"SecurityGroups": [{"Name": "generated", "Direction": "Inbound", "Rules": [""");
        for (var i = 0; i < rules; i++)
        {
            var prefix = random.Next(16, 29);
            var block = (uint)((10 << 24) | random.Next(0, 64 << 16)) & (uint.MaxValue << (32 - prefix));
            var port = random.Next(1, 2_000);
            var ports = random.Next(4) == 0 ? $"{port}-{port + random.Next(1, 50)}" : $"{port},{port + 1000}";
            var extra = i % 16 == 0 ? ", \"Service\": \"crm\"" : i % 64 == 1 ? ", \"TimeWindow\": {\"Days\": \"Mon-Fri\", \"Start\": \"08:00\", \"End\": \"20:00\", \"TimeZone\": \"Asia/Shanghai\"}" : "";
            json.Append(CultureInfo.InvariantCulture, $$"""{{(i == 0 ? "" : ",")}}{"Protocol": "TCP", "PortRange": "{{ports}}", "SourceIP": "{{new IPAddress(BitConverter.GetBytes(block).Reverse().ToArray())}}/{{prefix}}", "Priority": {{random.Next(1, 101)}}, "Action": "{{(random.Next(3) == 0 ? "Deny" : "Allow")}}"{{extra}}}""");
        }

        return json.Append("]}]}").ToString();
    }
}
