using System.Net;
using System.Net.Sockets;
using FastRelay.Diagnostics;
using FastRelay.Listening;
using FastRelay.Observing;

namespace FastRelay.Relaying;

/// <summary>The admission limits at accept: <c>--max-connections-per-source</c>, then <c>--max-connections</c>.</summary>
public sealed partial class EdgeServer
{
    /// <summary>
    /// Takes a per-source count and a table slot for a new connection, or refuses it cleanly: the socket is
    /// closed at once (the client sees EOF, not a hang in the backlog), the refusal is counted, logged (a
    /// warning at most once a second per limit, the rest at Debug, so a flood is not a log flood) and
    /// reported as one Accept event (audit action <c>accept</c>), and the pooled connection goes back.
    /// </summary>
    /// <param name="socket">The accepted socket.</param>
    /// <param name="listener">The listener that accepted it.</param>
    /// <param name="connection">The pooled connection, already reset with its id.</param>
    /// <param name="source">The address counted against the per-source limit (release it with <see cref="ReleaseSource"/>); null when none was.</param>
    private bool TryAdmit(Socket socket, EdgeListener listener, RelayedConnection connection, out IPAddress? source)
    {
        source = null;
        var client = socket.RemoteEndPoint as IPEndPoint;

        // The source first: an address at its limit must not take a global slot, even briefly.
        if (_perSource is not null && client is not null)
        {
            if (!_perSource.TryAdd(client.Address))
            {
                if (_sourceLimitWarning.TryEnter())
                {
                    Log.ConnectionRefusedAtSourceLimit(_context.Logger, connection.Id, client, _perSource.LimitPerSource);
                }
                else
                {
                    Log.ConnectionRefusedAtSourceLimitAgain(_context.Logger, connection.Id, client);
                }

                Refuse(socket, listener, connection, client, CloseReason.SourceConnectionLimit,
                    $"{_perSource.LimitPerSource} connections already open from {PlainAddress.Of(client.Address)} (--max-connections-per-source)");
                return false;
            }

            source = client.Address;
        }

        if (!_table.TryAdd(connection))
        {
            ReleaseSource(source);
            source = null;
            if (_limitWarning.TryEnter())
            {
                Log.ConnectionRefusedAtLimit(_context.Logger, connection.Id, client, _context.Options.MaxConnections);
            }
            else
            {
                Log.ConnectionRefusedAtLimitAgain(_context.Logger, connection.Id, client);
            }

            Refuse(socket, listener, connection, client, CloseReason.ConnectionLimit, detail: null);
            return false;
        }

        return true;
    }

    private void ReleaseSource(IPAddress? source)
    {
        if (source is not null)
        {
            _perSource!.Remove(source);
        }
    }

    private void Refuse(Socket socket, EdgeListener listener, RelayedConnection connection, IPEndPoint? client, CloseReason reason, string? detail)
    {
        Closed.Increment(reason);
        _context.Observer.OnEvent(new ConnectionEvent(connection.Id, _context.Time.GetUtcNow(), Checkpoint.Accept, Allowed: false,
            client, socket.LocalEndPoint as IPEndPoint, listener.Options.Service, Reason: reason, Detail: detail));
        socket.Dispose();
        _pool.Return(connection);
    }
}
