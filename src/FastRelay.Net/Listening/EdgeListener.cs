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

    /// <summary>
    /// Refuses, on a fresh start, an address some other socket already listens on: a second edge or gateway started
    /// on the port by mistake, or any other program. Without this, SO_REUSEPORT would let a second FastRelay bind,
    /// run and silently take half the clients (with its own policy); cli.md wants exit 1 and a one-line reason.
    /// Probes with a socket that sets SO_REUSEADDR only (so TIME_WAIT leftovers do not count) and is closed at once;
    /// the caller probes every listener before binding any, so its own overlapping listeners never meet here.
    /// Port 0 and errors other than "in use" are left to <see cref="Bind"/>.
    /// </summary>
    /// <exception cref="ListenerBindException">Something already listens on the address.</exception>
    public static void EnsureNotInUse(ListenerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.EndPoint.Port == 0)
        {
            return;
        }

        using var probe = NewSocket(options.EndPoint);
        try
        {
            probe.Bind(options.EndPoint);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            throw new ListenerBindException($"listener {Format(options.EndPoint)} for service '{options.Service}' is already in use", ex);
        }
        catch (SocketException)
        {
            // Not free to bind for another reason (not local, privileges): Bind reports it with its own words.
        }
    }

    /// <summary>Binds and listens.</summary>
    /// <exception cref="ListenerBindException">The address is in use, not local, or needs privileges.</exception>
    public static EdgeListener Bind(ListenerOptions options, int backlog, ILogger logger, TimeProvider time)
    {
        var socket = NewSocket(options.EndPoint);
        try
        {
            // SO_REUSEPORT: this process's own listeners may overlap (0.0.0.0:p beside 127.0.0.1:p, [::]:p beside
            // 0.0.0.0:p), and a --handoff successor may bind a changed address on a port its predecessor still holds.
            // Another process already listening is refused before this, on a fresh start (EnsureNotInUse).
            socket.SetRawSocketOption(SolSocket, SoReusePort, BitConverter.GetBytes(1));
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
        Log.ListenerBound(logger, listener.EndPoint, options.Service.Length > 0 ? options.Service : NoService);
        return listener;
    }

    /// <summary>
    /// Wraps a listening socket inherited from the process this one replaces (Handoff/): already bound and
    /// listening, with the clients in its accept queue.
    /// </summary>
    public static EdgeListener Adopt(ListenerOptions options, Socket socket, ILogger logger, TimeProvider time)
    {
        var listener = new EdgeListener(options, socket, logger, time);
        Log.ListenerAdopted(logger, listener.EndPoint, options.Service.Length > 0 ? options.Service : NoService);
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

    // A TCP socket for a listener's address, as both the probe and the listener need it: [::] takes IPv4 clients too
    // (as nginx's listen [::]:p ipv6only=off); SO_REUSEADDR so a restart binds again over the last run's TIME_WAIT
    // connections. Raw option: .NET's ReuseAddress sets SO_REUSEPORT as well on Linux.
    private static Socket NewSocket(IPEndPoint endPoint)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endPoint.AddressFamily == AddressFamily.InterNetworkV6 && endPoint.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            socket.SetRawSocketOption(SolSocket, SoReuseAddr, BitConverter.GetBytes(1));
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private const int SolSocket = 1; // Linux <asm-generic/socket.h>
    private const int SoReuseAddr = 2;
    private const int SoReusePort = 15;

    /// <summary>Formats an address as the flags write it: 127.0.0.1:80, [::1]:80.</summary>
    public static string Format(IPEndPoint endPoint) => endPoint.ToString();

    // A listener without SERVICE@ has no default service: with TLS the SNI name picks the route.
    private const string NoService = "(none: the SNI name picks the route)";
}
