using System.Diagnostics;

namespace FastRelay.TestKit;

/// <summary>The <c>openssl</c> command line tool, for interop checks (tools/test.sh installs it when missing).</summary>
public static class OpenSsl
{
    /// <summary>Runs <c>openssl</c> with <paramref name="args"/> (bounded by <see cref="TestTimeouts.Default"/>) and returns its exit code and all output.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(params string[] args)
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
        process.StandardInput.Close(); // s_client waits for input otherwise.
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TestTimeouts.Default);
        return (process.ExitCode, await stdout + await stderr);
    }
}
