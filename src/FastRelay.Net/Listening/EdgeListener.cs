using System.Net;
using System.Net.Sockets;
using FastRelay.Configuration;
using FastRelay.Diagnostics;
using Microsoft.Extensions.Logging;

namespace FastRelay.Listening;

/// <summary>
/// One bound listening socket and its accept loop. Accepted sockets go to the handler given to
/// <see cref="RunAsync"/>, which must not block (it starts the connection's work and returns).
/// </summary>
/// <remarks>
/// The loop never spins: transient errors (a connection reset while in the backlog) go straight to the
/// next accept; persistent ones (out of descriptors, out of buffers) back off with <see cref="AcceptBackoff"/>.
/// <see cref="Stop"/> closes the socket, which ends the loop. Thread-safe.
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The CancellationTokenSource has no timer: nothing to release")]
internal sealed partial class EdgeListener
{
    private readonly Socket _socket;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly OncePerInterval _backoffWarning;
    private readonly CancellationTokenSource _release = new();

    private EdgeListener(ListenerOptions options, Socket socket, ILogger logger, TimeProvider time)
    {
        Options = options;
        _socket = socket;
        _logger = logger;
        _time = time;
        _backoffWarning = new OncePerInterval(time, TimeSpan.FromSeconds(1));
        EndPoint = (IPEndPoint)socket.LocalEndPoint!;
    }

    /// <summary>The listener's configuration.</summary>
    public ListenerOptions Options { get; }

    /// <summary>The bound address, with the real port when the configuration asked for port 0.</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>Binds and listens.</summary>
    /// <exception cref="ListenerBindException">The address is in use, not local, or needs privileges.</exception>
    public static EdgeListener Bind(ListenerOptions options, int backlog, ILogger logger, TimeProvider time)
    {
        var socket = new Socket(options.EndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (options.EndPoint.AddressFamily == AddressFamily.InterNetworkV6 && options.EndPoint.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true; // [::] takes IPv4 clients too, as nginx's listen [::]:p ipv6only=off.
            }

            // SO_REUSEADDR only (a restart binds again over the last run's TIME_WAIT connections), never SO_REUSEPORT:
            // with it a second edge or gateway started on the same port by mistake would bind, run and silently take
            // half the clients (with its own policy). Now it fails with "is already in use", exit 1 (cli.md). A
            // restart does not need it: the new process is handed the listening socket itself (--handoff, Handoff/).
            // Raw: .NET's ReuseAddress sets SO_REUSEPORT too on Linux.
            socket.SetRawSocketOption(SolSocket, SoReuseAddr, BitConverter.GetBytes(1));
            socket.Bind(options.EndPoint);
            socket.Listen(backlog);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            var what = ex.SocketErrorCode switch
            {
                SocketError.AddressAlreadyInUse => "is already in use",
                SocketError.AddressNotAvailable => "is not an address of this machine",
                SocketError.AccessDenied => "needs privileges (ports below 1024 need CAP_NET_BIND_SERVICE)",
                _ => $"cannot be bound ({ex.SocketErrorCode})",
            };
            throw new ListenerBindException($"listener {Format(options.EndPoint)} for service '{options.Service}' {what}", ex);
        }

        var listener = new EdgeListener(options, socket, logger, time);
        Log.ListenerBound(logger, listener.EndPoint, options.Service);
        return listener;
    }

    /// <summary>
    /// Wraps a listening socket inherited from the process this one replaces (Handoff/): already bound and
    /// listening, with the clients in its accept queue.
    /// </summary>
    public static EdgeListener Adopt(ListenerOptions options, Socket socket, ILogger logger, TimeProvider time)
    {
        var listener = new EdgeListener(options, socket, logger, time);
        Log.ListenerAdopted(logger, listener.EndPoint, options.Service);
        return listener;
    }

    /// <summary>The listening socket (handed to the next process on a zero-downtime restart).</summary>
    public Socket Socket => _socket;

    /// <summary>Accepts until <see cref="Stop"/>; each socket goes to <paramref name="onAccepted"/>.</summary>
    public async Task RunAsync(Action<Socket, EdgeListener> onAccepted)
    {
        var backoff = new AcceptBackoff();
        while (true)
        {
            Socket accepted;
            try
            {
                accepted = await _socket.AcceptAsync(_release.Token);
                backoff.Reset();
            }
            catch (OperationCanceledException)
            {
                break; // Release(): the socket lives on in the next process.
            }
            catch (ObjectDisposedException)
            {
                break; // Stop() closed the socket.
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.OperationAborted or SocketError.Interrupted)
            {
                break; // Stop() closed the socket while an accept was pending.
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
            {
                Log.AcceptFailed(_logger, EndPoint, ex.SocketErrorCode);
                continue; // The client gave up while in the backlog; the next one is unaffected (Kestrel).
            }
            catch (SocketException ex)
            {
                var delay = backoff.NextDelay();
                LogBackoff(ex.SocketErrorCode, delay);
                await Task.Delay(delay, _time);
                continue;
            }

            onAccepted(accepted, this);
        }

        Log.ListenerStopped(_logger, EndPoint);
    }

    // One warning per second at most: out of descriptors, accepts fail and succeed in turn every few
    // milliseconds, and a warning each time would flood the log (the rest go to Debug).
    private void LogBackoff(SocketError error, TimeSpan delay)
    {
        if (_backoffWarning.TryEnter())
        {
            Log.AcceptBackingOff(_logger, EndPoint, error, delay.TotalMilliseconds);
        }
        else
        {
            Log.AcceptBackingOffAgain(_logger, EndPoint, error, delay.TotalMilliseconds);
        }
    }

    /// <summary>Stops accepting: closes the listening socket. Established connections are not touched.</summary>
    public void Stop() => _socket.Dispose();

    /// <summary>
    /// Stops accepting but leaves the socket open: after a handoff the next process accepts on the same
    /// socket, and closing it here could reset the clients queued in its backlog. Cancelling the pending
    /// accept does not touch the socket; the descriptor is closed with the process.
    /// </summary>
    public void Release() => _release.Cancel();

    private const int SolSocket = 1; // Linux <asm-generic/socket.h>
    private const int SoReuseAddr = 2;

    /// <summary>Formats an address as the flags write it: 127.0.0.1:80, [::1]:80.</summary>
    public static string Format(IPEndPoint endPoint) => endPoint.ToString();
}
