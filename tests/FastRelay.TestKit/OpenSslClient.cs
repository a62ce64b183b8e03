using System.Diagnostics;
using System.Text;

namespace FastRelay.TestKit;

/// <summary>
/// An interactive <c>openssl s_client</c>: lines go to its stdin one at a time (its commands, such as "K" for a
/// TLS 1.3 KeyUpdate, must come alone in a read), its stdout and stderr are collected. Disposing closes stdin
/// (s_client then sends close_notify and exits) and waits for the exit, bounded by <see cref="TestTimeouts.Default"/>.
/// </summary>
public sealed class OpenSslClient : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    /// <summary>Starts <c>openssl s_client</c> with <paramref name="args"/>.</summary>
    public OpenSslClient(params string[] args)
    {
        var start = new ProcessStartInfo("openssl")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("s_client");
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Everything s_client printed so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>The exit code, once disposed (-1 when it had to be killed).</summary>
    public int ExitCode { get; private set; } = -1;

    /// <summary>Writes one line to s_client's stdin and flushes it, so that it arrives as one read.</summary>
    public async Task SendLineAsync(string line)
    {
        await _process.StandardInput.WriteAsync(line + "\n");
        await _process.StandardInput.FlushAsync();
        await Task.Delay(100); // s_client reads stdin in chunks: the next line must not join this one.
    }

    /// <summary>Waits until <paramref name="text"/> appears <paramref name="occurrences"/> times in the output (at most <see cref="TestTimeouts.Default"/>).</summary>
    public async Task<bool> WaitForOutputAsync(string text, int occurrences = 1)
    {
        _ = await TestTimeouts.EventuallyAsync(() => Count(text) >= occurrences || _process.HasExited);
        return Count(text) >= occurrences;
    }

    // Non-overlapping occurrences in the output so far.
    private int Count(string text) => Output.AsSpan().Count(text.AsSpan());

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();
            await _process.WaitForExitAsync().WaitAsync(TestTimeouts.Default);
            ExitCode = _process.ExitCode;
        }
        finally
        {
            if (!_process.HasExited)
            {
                _process.Kill(); // Our own child, by its handle.
            }

            _process.Dispose();
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
