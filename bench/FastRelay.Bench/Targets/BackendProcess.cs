using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using FastRelay.Backends;
using FastRelay.Bench.Cli;

namespace FastRelay.Bench.Targets;

/// <summary>
/// A backend in its own process (<c>--child-backends</c>): this executable's <c>backend</c> command as a child. It
/// reports the address it bound on its first line, which is how port 0 works across the process boundary.
/// </summary>
internal static partial class BackendProcess
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    /// <summary>The line <see cref="BackendCommand"/> prints once it listens; parsed here, so both sides use it.</summary>
    public static string ListeningLine(BackendMode mode, IPEndPoint endPoint) =>
        $"{mode.ToString().ToLowerInvariant()} backend listening on {endPoint} (Ctrl-C to stop)";

    /// <summary>
    /// Starts a backend and waits (at most 20 s) for its address. Returns null and an error, with the child's
    /// output, when it exits or stays silent; a child that exits with 2 could not bind (bad address).
    /// </summary>
    public static async Task<(ChildProcess? Child, IPEndPoint? EndPoint, string? Error)> StartAsync(
        BackendMode mode, IPEndPoint listen, CancellationToken cancellationToken)
    {
        var child = ChildProcess.Start(SelfStartInfo("backend", "--mode", mode.ToString().ToLowerInvariant(), "--listen", listen.ToString()),
            line => ListeningPattern().IsMatch(line));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StartTimeout);
        var exited = child.WaitForExitAsync(timeout.Token);
        var first = await Task.WhenAny(child.AwaitedLine, exited);
        cancellationToken.ThrowIfCancellationRequested();

        if (first == child.AwaitedLine
            && IPEndPoint.TryParse(ListeningPattern().Match(await child.AwaitedLine).Groups[1].Value, out var endPoint))
        {
            return (child, endPoint, null);
        }

        var why = child.ExitCode is { } code ? $"exited with code {code}" : $"did not report its address within {StartTimeout.TotalSeconds:0} s";
        await child.DisposeAsync();
        return (null, null, $"{mode.ToString().ToLowerInvariant()} backend on {listen} {why}\n{child.DescribeOutput()}");
    }

    /// <summary>Start info that runs this same harness (apphost, or <c>dotnet fastrelay-bench.dll</c>) with <paramref name="args"/>.</summary>
    private static ProcessStartInfo SelfStartInfo(params string[] args)
    {
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell which executable this is");
        var info = new ProcessStartInfo(host);
        if (Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            info.ArgumentList.Add(typeof(BackendProcess).Assembly.Location);
        }

        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return info;
    }

    [GeneratedRegex(@"backend listening on (\S+)")]
    private static partial Regex ListeningPattern();
}
