using System.Diagnostics;

namespace FastRelay.TestKit;

/// <summary>The <c>openssl</c> command line tool, for interop checks (tools/test.sh installs it when missing).</summary>
public static class OpenSsl
{
    /// <summary>Runs <c>openssl</c> with <paramref name="args"/> (bounded by <see cref="TestTimeouts.Default"/>) and returns its exit code and all output.</summary>
    public static Task<(int ExitCode, string Output)> RunAsync(params string[] args) => RunWithInputAsync(null, args);

    /// <summary>
    /// Runs <c>openssl</c> with <paramref name="args"/>, writes <paramref name="input"/> (a line) to its stdin,
    /// waits half a second for the answer, then closes stdin (s_client then sends close_notify and exits).
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
        if (input is not null)
        {
            await process.StandardInput.WriteLineAsync(input);
            await Task.Delay(500);
        }

        process.StandardInput.Close(); // s_client waits for input otherwise.
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TestTimeouts.Default);
        return (process.ExitCode, await stdout + await stderr);
    }
}
