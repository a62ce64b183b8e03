using System.Diagnostics;
using System.Net;
using FastRelay.Bench.Client;
using FastRelay.Bench.Cli;

namespace FastRelay.Bench.Targets;

/// <summary>
/// The relay under test as a child process: <c>fastrelay edge</c> with one listener and one route per backend.
/// Its output is kept (last lines only) for error reports; it is killed by PID on dispose.
/// </summary>
internal sealed class RelayProcess : IAsyncDisposable
{
    private const int KeptOutputLines = 40;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    private readonly Process _process;
    private readonly Queue<string> _lastLines = new();

    private RelayProcess(Process process, BenchTarget target)
    {
        _process = process;
        Target = target;
    }

    /// <summary>The relay's echo and sink listeners.</summary>
    public BenchTarget Target { get; }

    /// <summary>The child process, for CPU accounting.</summary>
    public Process Process => _process;

    /// <summary>The command line that was run, for the report.</summary>
    public string CommandLine => $"{_process.StartInfo.FileName} {string.Join(' ', _process.StartInfo.ArgumentList)}";

    /// <summary>The last lines the relay printed (stdout and stderr interleaved).</summary>
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

    /// <summary>Whether the relay exited, and with which code.</summary>
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>
    /// Starts the relay routing to the two backends and waits (at most 20 s) until both of its listeners accept.
    /// Returns null and an error (with the relay's last output) if it does not come up.
    /// </summary>
    public static async Task<(RelayProcess? Relay, string? Error)> StartAsync(
        RunOptions options, IPEndPoint echoBackend, IPEndPoint sinkBackend, CancellationToken cancellationToken)
    {
        var target = new BenchTarget(BenchTarget.RelayName, FreePort.Pick(), FreePort.Pick());
        var relay = new RelayProcess(new Process { StartInfo = StartInfo(options, target, echoBackend, sinkBackend) }, target);
        relay.Start();
        var error = await relay.WaitUntilListeningAsync(cancellationToken);
        if (error is null)
        {
            return (relay, null);
        }

        await relay.DisposeAsync();
        return (null, $"{error}\n  command: {relay.CommandLine}\n  last output:\n    {string.Join("\n    ", relay.LastOutput)}");
    }

    private static ProcessStartInfo StartInfo(RunOptions options, BenchTarget target, IPEndPoint echo, IPEndPoint sink)
    {
        var exe = Path.GetFullPath(options.RelayExe!);
        var isDll = exe.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);
        var info = new ProcessStartInfo(isDll ? "dotnet" : exe)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string[] args =
        [
            "edge",
            "--listen", $"echo@{target.Echo}", "--listen", $"sink@{target.Sink}",
            "--route", $"echo={echo}", "--route", $"sink={sink}",
            "--log-level", "warning",
        ];
        if (ClientRuntime.HarnessSetInline)
        {
            _ = info.Environment.Remove(ClientRuntime.InlineCompletionsVariable); // The relay runs with its own defaults.
        }

        foreach (var arg in (isDll ? [exe] : Array.Empty<string>()).Concat(args).Concat(options.RelayArgs))
        {
            info.ArgumentList.Add(arg);
        }

        return info;
    }

    private void Start()
    {
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
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

    private async Task<string?> WaitUntilListeningAsync(CancellationToken cancellationToken)
    {
        var waited = Stopwatch.StartNew();
        foreach (var endPoint in new[] { Target.Echo!, Target.Sink! })
        {
            while (true)
            {
                if (_process.HasExited)
                {
                    await _process.WaitForExitAsync(cancellationToken); // Drains the output readers, so LastOutput is complete.
                    return $"relay exited with code {_process.ExitCode} before listening on {endPoint}";
                }

                if (await AcceptsAsync(endPoint, cancellationToken))
                {
                    break;
                }

                if (waited.Elapsed > StartTimeout)
                {
                    return $"relay did not accept on {endPoint} within {StartTimeout.TotalSeconds:0} s";
                }

                await Task.Delay(50, cancellationToken);
            }
        }

        return null;
    }

    private static async Task<bool> AcceptsAsync(IPEndPoint endPoint, CancellationToken cancellationToken)
    {
        try
        {
            using var probe = await ClientSocket.ConnectAsync(endPoint, TimeSpan.FromSeconds(1), cancellationToken);
            return true;
        }
        catch (Exception ex) when (ClientSocket.IsNetworkFailure(ex))
        {
            return false; // Not listening yet (refused) or still starting (timeout): try again.
        }
    }

    /// <summary>Kills the relay by its PID (and any children it started) and waits for it to exit.</summary>
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
