using System.Globalization;

namespace FastRelay.Bench.Soak;

/// <summary>One process at one moment: resident memory, open descriptors and threads, from <c>/proc/PID</c>.</summary>
internal sealed record ProcessSample(long RssBytes, int Descriptors, int Threads)
{
    /// <summary>Reads process <paramref name="pid"/>; null when it is gone (the gateway between kill and restart).</summary>
    public static ProcessSample? Read(int pid)
    {
        try
        {
            var status = File.ReadAllLines($"/proc/{pid}/status");
            long Field(string key) => long.Parse(status.First(l => l.StartsWith(key, StringComparison.Ordinal)).Split(':')[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            return new ProcessSample(Field("VmRSS:") * 1024, Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length, (int)Field("Threads:"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            return null; // Exited between the check and the read.
        }
    }
}

/// <summary>A row of the soak's curve: both nodes and the load so far.</summary>
/// <param name="Seconds">Since the load started.</param>
/// <param name="Edge">The edge process.</param>
/// <param name="Gateway">The gateway process (null while it is down).</param>
/// <param name="GatewayGeneration">0 before the restart, 1 after.</param>
/// <param name="Completed">Sessions completed byte-exact so far.</param>
/// <param name="Reset">Sessions the client reset so far.</param>
/// <param name="Failed">Sessions that failed so far (any cause).</param>
internal sealed record SoakSample(double Seconds, ProcessSample? Edge, ProcessSample? Gateway, int GatewayGeneration, long Completed, long Reset, long Failed);
