using BenchmarkDotNet.Running;

namespace FastRelay.Benchmarks;

/// <summary>Runs the benchmarks chosen on the command line: <c>--filter '*Pump*'</c>, <c>--job short</c>, ...</summary>
internal static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
