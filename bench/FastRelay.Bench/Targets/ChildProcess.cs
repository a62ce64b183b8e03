using System.Diagnostics;

namespace FastRelay.Bench.Targets;

/// <summary>
/// A process the harness starts (the relay, or a backend): output kept as a tail for error reports, CPU time
/// readable, and killed by its PID (with anything it started) on dispose.
/// </summary>
/// <remarks>Thread-safe: output arrives on reader threads and is read under a lock.</remarks>
internal sealed class ChildProcess : IAsyncDisposable
{
    private const int KeptOutputLines = 40;

    private readonly Process _process;
    private readonly Queue<string> _lastLines = new();
    private readonly Func<string, bool>? _awaitedLine;
    private readonly TaskCompletionSource<string> _lineSeen = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ChildProcess(ProcessStartInfo startInfo, Func<string, bool>? awaitedLine)
    {
        startInfo.RedirectStandardOutput = true;
        startInfo.RedirectStandardError = true;
        startInfo.UseShellExecute = false;
        _process = new Process { StartInfo = startInfo };
        _awaitedLine = awaitedLine;
    }

    /// <summary>The command line, for reports.</summary>
    public string CommandLine => $"{_process.StartInfo.FileName} {string.Join(' ', _process.StartInfo.ArgumentList)}";

    /// <summary>The process, for CPU accounting.</summary>
    public Process Process => _process;

    /// <summary>The exit code once it has exited, else null.</summary>
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>The last lines it printed, stdout and stderr interleaved.</summary>
    public IReadOnlyList<string> LastOutput
    {
        get
        {
            lock (_lastLines)
            {
                return [.. _lastLines];
            }
        }
    }

    /// <summary>
    /// Completes with the first output line for which the <c>awaitedLine</c> predicate given to
    /// <see cref="Start"/> was true; never completes without a predicate.
    /// </summary>
    public Task<string> AwaitedLine => _lineSeen.Task;

    /// <summary>Starts the process. Throws <see cref="System.ComponentModel.Win32Exception"/> if it cannot be run.</summary>
    public static ChildProcess Start(ProcessStartInfo startInfo, Func<string, bool>? awaitedLine = null)
    {
        var child = new ChildProcess(startInfo, awaitedLine);
        child._process.OutputDataReceived += (_, e) => child.Keep(e.Data);
        child._process.ErrorDataReceived += (_, e) => child.Keep(e.Data);
        child._process.Start();
        child._process.BeginOutputReadLine();
        child._process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Waits until the output readers have drained, once the process has exited.</summary>
    public Task WaitForExitAsync(CancellationToken cancellationToken) => _process.WaitForExitAsync(cancellationToken);

    /// <summary>Formats the last output for an error report, indented.</summary>
    public string DescribeOutput() =>
        $"  command: {CommandLine}\n  last output:\n    {string.Join("\n    ", LastOutput)}";

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        if (_awaitedLine?.Invoke(line) == true)
        {
            _lineSeen.TrySetResult(line);
        }

        lock (_lastLines)
        {
            _lastLines.Enqueue(line);
            while (_lastLines.Count > KeptOutputLines)
            {
                _ = _lastLines.Dequeue(); // Only the tail is useful in an error report.
            }
        }
    }

    /// <summary>Kills the process by its PID (and its children) and waits up to 5 s for it to exit.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException)
        {
            // Never started, already reaped, or stuck in the kernel: nothing more a benchmark can do about it.
        }

        _process.Dispose();
    }
}
