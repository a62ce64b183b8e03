using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace FastRelay.Bench.Idle;

/// <summary>
/// The relay's memory at one moment: resident set (VmRSS) and its anonymous part (RssAnon: heap, stacks, native
/// allocations; no mapped files) from <c>/proc/PID/status</c>, and the GC heap as of its last collection plus the
/// active connections from the admin endpoint's <c>/status</c>.
/// </summary>
internal sealed record MemorySample(long RssBytes, long RssAnonBytes, long GcHeapBytes, long ActiveConnections, int Threads)
{
    /// <summary>Reads the sample of process <paramref name="pid"/>, whose admin endpoint is <paramref name="admin"/>.</summary>
    public static async Task<MemorySample> ReadAsync(int pid, HttpClient admin, CancellationToken cancellationToken)
    {
        var status = await File.ReadAllLinesAsync($"/proc/{pid}/status", cancellationToken);
        long Kib(string key) => long.Parse(status.First(l => l.StartsWith(key, StringComparison.Ordinal)).Split(':')[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        using var document = await admin.GetFromJsonAsync<JsonDocument>("/status", cancellationToken)
            ?? throw new InvalidOperationException("/status answered nothing");
        var root = document.RootElement;

        // The gateway's /status has no "connections" (it reports tunnel sessions): -1 there.
        var active = root.TryGetProperty("connections", out var connections) && connections.TryGetProperty("active", out var count) ? count.GetInt64() : -1;
        var gcHeap = root.TryGetProperty("memory", out var memory) && memory.TryGetProperty("gcHeapBytes", out var heap) ? heap.GetInt64() : -1;
        return new MemorySample(Kib("VmRSS:"), Kib("RssAnon:"), gcHeap, active, (int)(Kib("Threads:") / 1024));
    }

    /// <summary>One line for the report.</summary>
    public override string ToString() =>
        FormattableString.Invariant($"RSS {RssBytes / 1048576.0,8:0.0} MiB  (anon {RssAnonBytes / 1048576.0,8:0.0} MiB)  GC heap {GcHeapBytes / 1048576.0,8:0.0} MiB  active {ActiveConnections,6}  threads {Threads}");
}
