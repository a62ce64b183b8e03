using System.Net;
using FastRelay.Diagnostics;

namespace FastRelay.Relaying;

/// <summary>
/// Open connections counted per client address, for <c>--max-connections-per-source</c>: one address (a
/// slowloris client, a runaway script) cannot take every slot of the global limit. The counterpart of nginx's
/// <c>limit_conn</c> on <c>$binary_remote_addr</c> and HAProxy's <c>src_conn_cur</c>.
/// </summary>
/// <remarks>
/// An address has an entry only while it has connections open, so the table holds at most
/// <c>--max-connections</c> entries whatever the flood. IPv4-mapped IPv6 addresses (a dual-stack listener)
/// count as their IPv4 address. A short lock per accept and per close, never per byte. Thread-safe.
/// </remarks>
internal sealed class SourceConnectionTable
{
    private readonly Dictionary<IPAddress, int> _open = [];
    private readonly Lock _lock = new();

    /// <summary>Creates a table allowing <paramref name="limitPerSource"/> connections per address (at least 1).</summary>
    public SourceConnectionTable(int limitPerSource)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limitPerSource, 1);
        LimitPerSource = limitPerSource;
    }

    /// <summary>The connections one address may have open.</summary>
    public int LimitPerSource { get; }

    /// <summary>Addresses with at least one connection open.</summary>
    public int Sources
    {
        get
        {
            lock (_lock)
            {
                return _open.Count;
            }
        }
    }

    /// <summary>Counts a new connection from <paramref name="source"/>; false (and nothing counted) when it is at the limit.</summary>
    public bool TryAdd(IPAddress source)
    {
        var key = Normalize(source);
        lock (_lock)
        {
            _open.TryGetValue(key, out var open);
            if (open >= LimitPerSource)
            {
                return false;
            }

            _open[key] = open + 1;
            return true;
        }
    }

    /// <summary>Uncounts a connection that <see cref="TryAdd"/> counted.</summary>
    public void Remove(IPAddress source)
    {
        var key = Normalize(source);
        lock (_lock)
        {
            if (_open.TryGetValue(key, out var open))
            {
                if (open <= 1)
                {
                    _open.Remove(key);
                }
                else
                {
                    _open[key] = open - 1;
                }
            }
        }
    }

    private static IPAddress Normalize(IPAddress address) => PlainAddress.Of(address);
}
