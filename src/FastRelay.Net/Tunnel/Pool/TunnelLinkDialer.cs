using System.Net;
using System.Net.Sockets;
using FastRelay.Configuration;
using FastRelay.Tunnel.Handshake;
using FastRelay.Tunnel.Noise;
using FastRelay.Tunnel.Session;
using Microsoft.Extensions.Logging;
using Pipelines.Sockets.Unofficial;

namespace FastRelay.Tunnel.Pool;

/// <summary>
/// Dials a gateway for the pool: resolve, TCP connect, Noise XX as the initiator (tunnel.md §4.1), then start the
/// session. The whole attempt is bounded by <c>--tunnel-connect-timeout</c>.
/// </summary>
internal sealed class TunnelLinkDialer(KeyPair localStatic, TunnelAuthentication gateways, TunnelConnectionOptions connectionOptions,
    TimeSpan timeout, string? nodeName, ILogger sessionLogger, TimeProvider time) : ITunnelLinkDialer
{
    /// <inheritdoc />
    public async ValueTask<ITunnelLink> DialAsync(GatewayAddress gateway, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        Socket? socket = null;
        try
        {
            var addresses = IPAddress.TryParse(gateway.Host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(gateway.Host, deadline.Token);
            if (addresses.Length == 0)
            {
                throw new TunnelDialException($"'{gateway.Host}' has no addresses");
            }

            var address = addresses[0].IsIPv4MappedToIPv6 ? addresses[0].MapToIPv4() : addresses[0];
            socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(new IPEndPoint(address, gateway.Port), deadline.Token);
            SocketConnection.SetRecommendedClientOptions(socket);
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
            throw new TunnelDialException(ex.Message, ex);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket?.Dispose();
            throw new TunnelDialException($"no tunnel within --tunnel-connect-timeout ({ValueSyntax.FormatDuration(timeout)})");
        }
        catch (SocketException ex)
        {
            socket?.Dispose();
            throw new TunnelDialException(ex.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => "connection refused",
                SocketError.HostNotFound or SocketError.NoData => $"cannot resolve '{gateway.Host}'",
                SocketError.NetworkUnreachable or SocketError.HostUnreachable => "unreachable",
                var other => other.ToString(),
            }, ex);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            socket?.Dispose();
            throw new TunnelDialException($"connection lost during the handshake: {ex.Message}", ex);
        }
    }
}
