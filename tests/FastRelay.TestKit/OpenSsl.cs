using System.Diagnostics;

namespace FastRelay.TestKit;

/// <summary>The <c>openssl</c> command line tool, for interop checks (tools/test.sh installs it when missing).</summary>
public static class OpenSsl
{
    /// <summary>Runs <c>openssl</c> with <paramref name="args"/> (bounded by <see cref="TestTimeouts.Default"/>) and returns its exit code and all output.</summary>
    public static Task<(int ExitCode, string Output)> RunAsync(params string[] args) => RunWithInputAsync(null, args);

    /// <summary>
    /// Runs <c>openssl</c> with <paramref name="args"/>, writes <paramref name="input"/> (a line) to its stdin,
    /// waits until the output shows it echoed back (at most 3 s: a refused client never sees it), then
    /// closes stdin (s_client then sends close_notify and exits).
    /// </summary>
    public static async Task<(int ExitCode, string Output)> RunWithInputAsync(string? input, params string[] args)
    {
        var start = new ProcessStartInfo("openssl")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = new System.Text.StringBuilder();
        var stdout = CopyAsync(process.StandardOutput, output);
        var stderr = process.StandardError.ReadToEndAsync();
        if (input is not null)
        {
            await process.StandardInput.WriteLineAsync(input);
            await process.StandardInput.FlushAsync();
            var deadline = DateTime.UtcNow.AddSeconds(3);
            while (DateTime.UtcNow < deadline && !Snapshot(output).Contains(input, StringComparison.Ordinal) && !process.HasExited)
            {
                await Task.Delay(20);
            }
        }

        process.StandardInput.Close(); // s_client waits for input otherwise.
        await process.WaitForExitAsync().WaitAsync(TestTimeouts.Default);
        await stdout;
        return (process.ExitCode, Snapshot(output) + await stderr);
    }

    private static async Task CopyAsync(StreamReader reader, System.Text.StringBuilder output)
    {
        var buffer = new char[4096];
        int read;
        while ((read = await reader.ReadAsync(buffer)) > 0)
        {
            lock (output)
            {
                output.Append(buffer, 0, read);
            }
        }
    }

    private static string Snapshot(System.Text.StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }
}
