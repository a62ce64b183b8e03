using System.Net;
using System.Net.Sockets;
using FastRelay.Configuration;
using FastRelay.Routing.Discovery;
using Pipelines.Sockets.Unofficial;

namespace FastRelay.Upstreams;

/// <summary>
/// Dials targets over TCP: resolves DNS names (every address in turn), bounds each attempt by the connect timeout,
/// and sets the socket options the relay wants (NoDelay). With a <see cref="HostCache"/> (the edge's), names come
/// from it: cached for their TTL and re-resolved in the background, so a dial does not wait for DNS; without one
/// (the gateway, the tunnel pool), each dial resolves. An IP literal is never looked up. With an
/// <see cref="Transport.Epoll.EpollEngine"/> (an edge on the epoll data path), the connect is watched by its loops,
/// so the socket never joins the runtime's socket engine (EpollConnect says why).
/// </summary>
internal sealed class TcpUpstreamDialer(HostCache? hosts = null, Transport.Epoll.EpollEngine? epoll = null) : IUpstreamDialer
{
    // Where the next dial to a name starts in its address list: one counter per hash bucket of the name, so names
    // dialled alternately each rotate (one shared counter would keep both on the same parity), and no map to grow.
    private readonly int[] _rotation = new int[64];

    /// <inheritdoc />
    public async ValueTask<DialResult> DialAsync(TargetOptions target, TimeSpan timeout, IDialGuard? guard, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        IPAddress[] addresses;
        if (IPAddress.TryParse(target.Host, out var literal))
        {
            addresses = [literal];
        }
        else if (hosts is not null)
        {
            var lookup = hosts.ResolveAsync(target.Host);
            try
            {
                var resolved = lookup.IsCompletedSuccessfully ? lookup.Result : await lookup.AsTask().WaitAsync(deadline.Token);
                if (resolved.Value is not { } cached)
                {
                    return new DialResult(null, $"cannot resolve '{target.Host}' (see the DNS warning in the log)", Kind: DialFailureKind.NameNotResolved);
                }

                addresses = cached;
            }
            catch (OperationCanceledException ex)
            {
                return new DialResult(null, $"cannot resolve '{target.Host}': {Describe(ex, timeout)}", Kind: DialFailureKind.TimedOut);
            }
        }
        else
        {
            try
            {
                addresses = await Dns.GetHostAddressesAsync(target.Host, deadline.Token);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                return new DialResult(null, $"cannot resolve '{target.Host}': {Describe(ex, timeout)}",
                    Kind: ex is OperationCanceledException ? DialFailureKind.TimedOut : DialFailureKind.NameNotResolved);
            }
        }

        string failure = "no addresses";
        var kind = DialFailureKind.NameNotResolved;
        var denied = 0;

        // A name's addresses in turn, from a point that moves one on per dial, so the sessions to a name spread over
        // its addresses; each address gets its share of what is left of the timeout (at least 500 ms, as Go's dialer
        // gives each at least a floor), so one that drops SYNs cannot spend the whole attempt and leave the rest untried.
        var start = addresses.Length > 1
            ? (int)((uint)Interlocked.Increment(ref _rotation[StringComparer.OrdinalIgnoreCase.GetHashCode(target.Host) & (_rotation.Length - 1)]) % (uint)addresses.Length)
            : 0;
        var endsAt = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        for (var i = 0; i < addresses.Length; i++)
        {
            // The peer the connect reaches (0.0.0.0 is this host; ::ffff:a.b.c.d is IPv4): the rules judge it, and it is dialled.
            var address = ReachedAddress.Of(addresses[(start + i) % addresses.Length]);
            if (guard is not null && !guard.Allows(new IPEndPoint(address, target.Port)))
            {
                denied++;
                failure = "denied by the security-group policy";
                continue;
            }

            Socket? socket = null;
            var untried = addresses.Length - i;
            using var share = untried > 1 ? CancellationTokenSource.CreateLinkedTokenSource(deadline.Token) : null;
            if (share is not null)
            {
                var left = Math.Max(0, endsAt - Environment.TickCount64);
                share.CancelAfter(TimeSpan.FromMilliseconds(Math.Max(left / untried, Math.Min(500, left))));
            }

            try
            {
                // Inside the try: out of file descriptors is a dial failure like any other, not a crash.
                socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                var attempt = share?.Token ?? deadline.Token;
                if (epoll is null)
                {
                    await socket.ConnectAsync(new IPEndPoint(address, target.Port), attempt);
                }
                else
                {
                    await epoll.ConnectAsync(socket, new IPEndPoint(address, target.Port), attempt);
                }

                // Small writes (interactive protocols) must not wait for Nagle's 40 ms.
                SocketConnection.SetRecommendedClientOptions(socket);
                return new DialResult(socket, null);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                socket?.Dispose();
                failure = Describe(ex, timeout);
                kind = Classify(ex);
                if (deadline.IsCancellationRequested)
                {
                    break;
                }
            }
        }

        var allDenied = addresses.Length > 0 && denied == addresses.Length;
        return new DialResult(null, failure, Denied: allDenied, Kind: allDenied ? DialFailureKind.Denied : kind);
    }

    private static DialFailureKind Classify(Exception ex) => ex switch
    {
        OperationCanceledException => DialFailureKind.TimedOut,
        SocketException { SocketErrorCode: SocketError.ConnectionRefused } => DialFailureKind.Refused,
        SocketException { SocketErrorCode: SocketError.TimedOut } => DialFailureKind.TimedOut,
        _ => DialFailureKind.Unreachable,
    };

    private static string Describe(Exception ex, TimeSpan timeout) => ex switch
    {
        OperationCanceledException => $"no answer within the connect timeout ({ValueSyntax.FormatDuration(timeout)})",
        SocketException { SocketErrorCode: SocketError.ConnectionRefused } => "connection refused",
        SocketException { SocketErrorCode: SocketError.NetworkUnreachable or SocketError.HostUnreachable } => "unreachable",
        SocketException se => se.SocketErrorCode.ToString(),
        _ => ex.GetType().Name,
    };
}
