using System.IO.Pipelines;
using FastRelay.Relaying;

namespace FastRelay.Tunnel.Pool;

/// <summary>
/// A stream borrowed from the pool: the relay pumps it like a socket (<see cref="IPipeConnection"/>), and
/// disposing it gives its slot back to the connection it runs on.
/// </summary>
/// <remarks>Input and Output are the stream's own pipes: no copy, no per-byte cost.</remarks>
internal sealed class TunnelLease(IPipeConnection stream, PooledLink link) : IPipeConnection, IDisposable
{
    private int _released;

    /// <summary>The gateway the stream runs through, for logs and metrics.</summary>
    public string Gateway => link.Gateway;

    /// <summary>The stream itself.</summary>
    public IPipeConnection Stream => stream;

    /// <inheritdoc />
    public PipeReader Input => stream.Input;

    /// <inheritdoc />
    public PipeWriter Output => stream.Output;

    /// <summary>Cancelled when the stream is reset or its tunnel connection ends (<see cref="Session.TunnelStream.Ended"/>).</summary>
    public CancellationToken Ended => (stream as Session.TunnelStream)?.Ended ?? CancellationToken.None;

    /// <inheritdoc />
    public void Abort() => stream.Abort();

    /// <summary>Releases the slot (once). Call after the relay is done with the stream.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            link.Release();
        }
    }
}
