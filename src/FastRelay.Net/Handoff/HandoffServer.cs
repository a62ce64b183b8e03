using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;

namespace FastRelay.Handoff;

/// <summary>What the old process does during a handoff (HandoffProtocol), supplied by the host.</summary>
internal interface IHandoffParticipant
{
    /// <summary>Step 2, before the sockets are sent: free what the new process binds itself (the admin port).</summary>
    Task PrepareAsync();

    /// <summary>The listening sockets to hand over.</summary>
    IReadOnlyList<(IPEndPoint EndPoint, Socket Socket)> ListeningSockets { get; }

    /// <summary>Step 3: the new process accepts; stop accepting (without closing) and drain.</summary>
    void HandedOff();

    /// <summary>Step 4: the new process failed; take back what <see cref="PrepareAsync"/> gave up.</summary>
    Task ResumeAsync();
}

/// <summary>
/// The running process's side of a zero-downtime restart: a Unix socket at the <c>--handoff</c> path that
/// gives this process's listening sockets to the next one (HandoffProtocol). One conversation at a time.
/// </summary>
internal sealed partial class HandoffServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly string _path;
    private readonly IHandoffParticipant _participant;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private static readonly TimeSpan MinAcceptBackoff = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MaxAcceptBackoff = TimeSpan.FromSeconds(1);

    private readonly Task _loop;
    private bool _handedOff;

    private HandoffServer(Socket listener, string path, IHandoffParticipant participant, ILogger logger)
    {
        _listener = listener;
        _path = path;
        _participant = participant;
        _logger = logger;
        _loop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>Binds <paramref name="path"/> (replacing a file left there) and starts answering.</summary>
    /// <exception cref="HandoffException">The path cannot be bound (no such directory, no permission).</exception>
    public static HandoffServer Start(string path, IHandoffParticipant participant, ILogger logger)
    {
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            // The previous process's socket file (it was handed off, or it exited): a new file, a new socket.
            File.Delete(path);
            listener.Bind(new UnixDomainSocketEndPoint(path));

            // Only the edge's user may connect (and PeerCredentials checks who did): a handoff takes the
            // listening sockets and drains this process.
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            listener.Listen(4);
        }
        catch (Exception ex) when (ex is SocketException or IOException or UnauthorizedAccessException)
        {
            listener.Dispose();
            throw new HandoffException($"handoff socket {path} cannot be bound: {ex.Message}", ex);
        }

        Log.Listening(logger, path);
        return new HandoffServer(listener, path, participant, logger);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        if (_handedOff)
        {
            // Not Socket.Dispose: .NET unlinks the path a Unix socket was bound to, and the path is the new
            // process's socket now. Closing the descriptor alone leaves its file alone.
            var descriptor = (int)_listener.SafeHandle.DangerousGetHandle();
            _listener.SafeHandle.SetHandleAsInvalid();
            ScmRights.Close(descriptor);
        }
        else
        {
            // Ours (no successor replaced it): the file goes with the socket, so the next start is a fresh one.
            _listener.Dispose();
            File.Delete(_path);
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        var backoff = MinAcceptBackoff;
        while (!_stop.IsCancellationRequested && !_handedOff)
        {
            Socket connection;
            try
            {
                connection = await _listener.AcceptAsync(_stop.Token);
                backoff = MinAcceptBackoff;
            }
            catch (SocketException ex) when (!_stop.IsCancellationRequested)
            {
                // EMFILE/ENFILE (the edge at its descriptor limit under a flood) or ENOBUFS pass: the next restart's
                // --handoff must still find us, so wait and accept again (the edge's own accept loop does the same).
                Log.Aborted(_logger, _path, $"accept failed ({ex.SocketErrorCode}); retrying in {backoff.TotalMilliseconds:0}ms");
                try
                {
                    await Task.Delay(backoff, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxAcceptBackoff.Ticks));
                continue;
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return; // Disposed: the process is stopping.
            }

            using (connection)
            {
                try
                {
                    await ConverseAsync(connection);
                }
#pragma warning disable CA1031 // One failed handoff (a participant step that threw) must not end the loop: the next attempt gets a fresh one.
                catch (Exception ex) when (ex is not OutOfMemoryException)
#pragma warning restore CA1031
                {
                    Log.Aborted(_logger, _path, $"{ex.GetType().Name}: {ex.Message}"); // Before step 2: nothing to give back.
                }
            }
        }
    }

    private async Task ConverseAsync(Socket connection)
    {
        if (!PeerCredentials.IsTrusted(connection))
        {
            Log.Aborted(_logger, _path, $"refused a peer running as user {PeerCredentials.PeerUserId(connection)?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown"} (only this edge's user or root may take over)");
            return;
        }

        // Step 1: the request.
        var request = await ReadLineAsync(connection, HandoffProtocol.AnswerTimeout);
        if (request != HandoffProtocol.Request)
        {
            Log.Aborted(_logger, _path, "not a handoff request");
            return;
        }

        // Step 2: free the admin port, then send the sockets. From here on any failure must give the port back.
        await _participant.PrepareAsync();
        try
        {
            await SendAndConfirmAsync(connection);
        }
#pragma warning disable CA1031 // Whatever failed (ScmRights refusing a descriptor, say), this process serves on, admin port included.
        catch (Exception ex) when (ex is not OutOfMemoryException && !_handedOff)
#pragma warning restore CA1031
        {
            Log.Aborted(_logger, _path, $"{ex.GetType().Name}: {ex.Message}; serving on");
            await _participant.ResumeAsync();
        }
    }

    private async Task SendAndConfirmAsync(Socket connection)
    {
        var sockets = _participant.ListeningSockets;
        var descriptors = sockets.Select(s => (int)s.Socket.SafeHandle.DangerousGetHandle()).ToArray();
        if (!ScmRights.Send((int)connection.Handle, HandoffProtocol.Answer(sockets.Select(s => s.EndPoint)), descriptors, out var errno))
        {
            Log.Aborted(_logger, _path, $"sending the sockets failed (errno {errno})");
            await _participant.ResumeAsync();
            return;
        }

        // Step 3 or 4.
        var ready = await ReadLineAsync(connection, HandoffProtocol.ReadyTimeout);
        if (ready == HandoffProtocol.Ready)
        {
            _handedOff = true;
            Log.Given(_logger, sockets.Count, _path);
            _participant.HandedOff();
        }
        else
        {
            Log.Aborted(_logger, _path, "the new process did not confirm; serving on");
            await _participant.ResumeAsync();
        }
    }

    private static async Task<string?> ReadLineAsync(Socket connection, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        var buffer = new byte[64];
        var length = 0;
        try
        {
            while (length < buffer.Length)
            {
                var n = await connection.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, deadline.Token);
                if (n == 0)
                {
                    return null;
                }

                length += n;
                if (buffer[length - 1] == (byte)'\n')
                {
                    return Encoding.ASCII.GetString(buffer, 0, length);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException)
        {
            return null; // Timed out or hung up: the caller treats it as no answer.
        }

        return null;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 810, EventName = "HandoffListening", Level = LogLevel.Information,
            Message = "Handoff socket {Path} ready: a new process started with --handoff {Path} takes over these listeners")]
        public static partial void Listening(ILogger logger, string path);

        [LoggerMessage(EventId = 812, EventName = "HandoffGiven", Level = LogLevel.Information,
            Message = "Handed {Count} listening sockets to the new process on {Path}; draining")]
        public static partial void Given(ILogger logger, int count, string path);

        [LoggerMessage(EventId = 813, EventName = "HandoffAborted", Level = LogLevel.Warning,
            Message = "Handoff on {Path} aborted: {Why}")]
        public static partial void Aborted(ILogger logger, string path, string why);
    }
}
