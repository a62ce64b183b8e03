using System.Net.Sockets;
using FastRelay.Configuration;
using FastRelay.Tunnel.Handshake;
using FastRelay.Tunnel.Noise;
using FastRelay.Tunnel.Session;
using FastRelay.Upstreams;
using Microsoft.Extensions.Logging;

namespace FastRelay.Tunnel.Pool;

/// <summary>
/// Dials a gateway for the pool: TCP (<see cref="TcpUpstreamDialer"/>: each resolved address in turn), Noise XX as the initiator (tunnel.md §4.1), then start the
/// session. The whole attempt is bounded by <c>--tunnel-connect-timeout</c>.
/// </summary>
internal sealed class TunnelLinkDialer(KeyPair localStatic, TunnelAuthentication gateways, TunnelConnectionOptions connectionOptions,
    TimeSpan timeout, string? nodeName, ILogger sessionLogger, TimeProvider time) : ITunnelLinkDialer
{
    private static readonly TcpUpstreamDialer TcpDialer = new();

    /// <inheritdoc />
    public async ValueTask<ITunnelLink> DialAsync(GatewayAddress gateway, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        Socket? socket = null;
        try
        {
            // The relay's own dialer: every resolved address in turn, the per-attempt bound, NoDelay.
            var dialled = await TcpDialer.DialAsync(new TargetOptions(gateway.Host, gateway.Port, 1), timeout, guard: null, deadline.Token);
            socket = dialled.Socket ?? throw new TunnelDialException(dialled.Failure ?? "unreachable");
            cancellationToken.ThrowIfCancellationRequested(); // The dialler reports a cancelled dial as a failure.
            var remaining = timeout; // The handshake has its own bound too; the linked token cuts it at the deadline.
            var handshake = await TunnelHandshake.InitiateAsync(socket, localStatic, gateways, connectionOptions.ToSettings(), nodeName, remaining, deadline.Token);
            // tunnel.md §4.8: the gateway's certificate is checked again at each rekey (expiry, revocation, binding).
            var connection = TunnelConnection.Start(socket, handshake, isInitiator: true, connectionOptions, acceptor: null, sessionLogger, time,
                recheck: () => gateways.Recheck(handshake));
            return new SessionLink(connection);
        }
        catch (TunnelHandshakeException ex)
        {
            socket?.Dispose();
            // The gateway's key when it was read (PROTOCOL.md §9: both sides log the peer's key), as the gateway logs ours.
            throw new TunnelDialException(ex.PeerFingerprint is { } key ? $"{ex.Message} (gateway key {key})" : ex.Message, ex);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket?.Dispose();
            throw new TunnelDialException($"no tunnel within --tunnel-connect-timeout ({ValueSyntax.FormatDuration(timeout)})");
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException)
        {
            socket?.Dispose();
            throw new TunnelDialException($"connection lost during the handshake: {ex.Message}", ex);
        }
    }
}
