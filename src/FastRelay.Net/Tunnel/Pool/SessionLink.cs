using FastRelay.Tunnel.Frames;
using FastRelay.Tunnel.Session;

namespace FastRelay.Tunnel.Pool;

/// <summary>A live <see cref="TunnelConnection"/> as a pool link (the production side of <see cref="ITunnelLink"/>).</summary>
internal sealed class SessionLink(TunnelConnection connection) : ITunnelLink
{
    /// <inheritdoc />
    public bool CanOpenStreams => connection.CanOpenStreams;

    /// <inheritdoc />
    public Task<string> Completion => connection.Completion;

    /// <inheritdoc />
    public TimeSpan? LastPingRtt => connection.LastPingRtt;

    /// <inheritdoc />
    public uint Epoch => connection.Epoch;

    /// <inheritdoc />
    public async ValueTask<TunnelLinkOpen> OpenStreamAsync(TunnelTarget target, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var result = await connection.OpenStreamAsync(target, timeout, cancellationToken);
        return new TunnelLinkOpen(result.Stream, result.Error, result.Retryable);
    }

    /// <inheritdoc />
    public void GoAway(TunnelErrorCode code, string? debug) => connection.GoAway(code, debug);

    /// <inheritdoc />
    public ValueTask DisposeAsync() => connection.DisposeAsync();
}
