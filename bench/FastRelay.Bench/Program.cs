using FastRelay.Bench.Cli;
using FastRelay.Bench.Client;

namespace FastRelay.Bench;

/// <summary>
/// Entry point of <c>fastrelay-bench</c>, the load harness users run to compare the direct path with the
/// relay path. Exit codes are listed in <see cref="ExitCodes"/>.
/// </summary>
internal static class Program
{
    private static Task<int> Main(string[] args)
    {
        ClientRuntime.Configure(); // Before any socket exists; see ClientRuntime for why.
        return new BenchCommandLine().InvokeAsync(args);
    }
}
