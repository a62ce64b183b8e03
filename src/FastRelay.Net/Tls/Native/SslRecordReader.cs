using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace FastRelay.Tls.Native;

/// <summary>What <see cref="SslRecordReader.Read"/> or <see cref="SslRecordReader.Peek"/> stopped at.</summary>
internal enum SslReadStatus
{
    /// <summary>The destination is full (more may be buffered); for <see cref="SslRecordReader.Peek"/>: a record's bytes are ready.</summary>
    Full,

    /// <summary>The socket has no whole record left: wait until it is readable.</summary>
    Drained,

    /// <summary>The client's close_notify or its FIN: this direction is over (bytes before it were delivered).</summary>
    Ended,

    /// <summary>A record OpenSSL refused, an alert, or a socket error: <see cref="SslRecordReader.Failure"/> says which.</summary>
    Failed,
}

/// <summary>
/// Decrypts a TLS client's records straight from its socket into the caller's buffer, on the <c>SSL</c> object
/// SslStream's handshake made: OpenSSL reads the socket itself (a socket BIO with read-ahead: 16,712 B per receive) and decrypts into
/// the pipe's block. SslStream's receive path copies each record three more times (into its buffer, into the
/// memory BIO, and out to the caller) and compacts its buffer: 14 % of the relay's CPU on one mTLS bulk stream
/// (bench/README.md, "seventh sitting").
/// </summary>
/// <remarks>
/// <para>Taken over only where it is safe (<see cref="TryTakeOver"/>): .NET 10 on Linux with OpenSSL 3 (the same
/// checks as <see cref="NativeSsl"/>), the decryption lock reachable (<see cref="SslShutdown"/>), a non-blocking
/// socket, and nothing left in SslStream's or OpenSSL's buffers (the transport bounded the handshake's reads to
/// whole records, <see cref="TlsRecordBoundary"/>). Otherwise the connection reads through SslStream as before.</para>
/// <para>Writes stay with SslStream. Every call here holds the lock SslStream holds while it encrypts (OpenSSL
/// allows one call at a time on an <c>SSL</c> object) and a reference on the socket's handle (so a concurrent
/// close cannot free the descriptor under OpenSSL's <c>recv</c>). .NET's own read BIO is kept alive and put back
/// by <see cref="Release"/>: the SSL object is then as .NET left it, and its dispose-time shutdown cannot read
/// the socket.</para>
/// <para>Ends and errors (<see cref="Classify"/>): close_notify or a FIN between records is the end, as SslStream reads
/// it; a FIN inside a record, a record OpenSSL refuses, a TLS 1.2 renegotiation and a post-handshake message cut off
/// at a record's end fail the connection with the reason. A TLS 1.3 KeyUpdate is answered with the next record
/// SslStream writes.</para>
/// </remarks>
internal sealed unsafe partial class SslRecordReader
{
    private SafeHandle? _ssl;
    private SafeHandle? _socket;
    private object? _gate;
    private nint _netReadBio; // .NET's memory BIO, one reference ours while the socket BIO is in its place.

    /// <summary>Whether records can be read this way on this runtime at all.</summary>
    public static bool Supported => NativeSsl.Supported && SslShutdown.Serialized && SslStreamReadBuffer.Supported;

    /// <summary>Whether the attached connection reads through this object.</summary>
    public bool Active => _ssl is not null;

    /// <summary>What the last <see cref="SslReadStatus.Failed"/> was.</summary>
    public Exception? Failure { get; private set; }

    /// <summary>
    /// After a completed handshake: from now on the client's records are read here, not by <paramref name="stream"/>.
    /// </summary>
    /// <returns>Null when taken over; else why not (the stream then reads as before, nothing was changed).</returns>
    public string? TryTakeOver(SslStream stream, Socket socket)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(socket);
        if (_ssl is not null)
        {
            throw new InvalidOperationException("Release the last connection first");
        }

        if (!Supported || NativeSsl.HandleOf(stream) is not { } ssl || SslShutdown.LockOf(stream) is not { } gate)
        {
            return "the SSL object or its lock cannot be reached on this runtime";
        }

        // Bounded handshake reads leave nothing in SslStream's buffer; checked anyway, since those bytes would be lost here.
        if (SslStreamReadBuffer.Held(stream) is var held and not 0)
        {
            return held < 0 ? "SslStream's read buffer cannot be read" : $"SslStream holds {held} bytes the handshake did not use";
        }

        var socketHandle = socket.SafeHandle;
        var sslAdded = false;
        var socketAdded = false;
        lock (gate)
        {
            try
            {
                if (socketHandle.IsClosed)
                {
                    return "the socket was closed";
                }

                ssl.DangerousAddRef(ref sslAdded);
                socketHandle.DangerousAddRef(ref socketAdded);
                var pointer = ssl.DangerousGetHandle();
                var fd = (int)socketHandle.DangerousGetHandle();
                if (fcntl(fd, FcntlGetFlags, 0) is var flags && (flags < 0 || (flags & NonBlocking) == 0))
                {
                    return flags < 0 ? "the socket's flags could not be read" : "the socket is in blocking mode";
                }

                var netBio = SSL_get_rbio(pointer);
                if (netBio == 0 || SSL_has_pending(pointer) != 0 || BIO_ctrl_pending(netBio) != 0)
                {
                    return "OpenSSL holds bytes the handshake did not use";
                }

                ERR_clear_error();
                var socketBio = BIO_new_socket(fd, 0); // BIO_NOCLOSE: the socket stays ours.
                if (socketBio == 0 || BIO_up_ref(netBio) != 1)
                {
                    if (socketBio != 0)
                    {
                        _ = BIO_free(socketBio);
                    }

                    ERR_clear_error();
                    return "OpenSSL could not make a socket BIO";
                }

                SSL_set0_rbio(pointer, socketBio); // Drops the SSL's reference to .NET's BIO; ours keeps it alive.
                _ = SSL_set_options(pointer, OptionIgnoreUnexpectedEof | OptionNoRenegotiation);
                SSL_set_read_ahead(pointer, 1);
                _netReadBio = netBio;
                _ssl = ssl;
                _socket = socketHandle;
                _gate = gate;
                Failure = null;
                SslStreamReadBuffer.Return(stream); // It never reads again: its handshake buffer goes back to the pool.
                return null;
            }
            catch (ObjectDisposedException)
            {
                return "the socket or the TLS stream was closed"; // Closed between the check above and the AddRef.
            }
            finally
            {
                if (socketAdded)
                {
                    socketHandle.DangerousRelease();
                }

                if (sslAdded)
                {
                    ssl.DangerousRelease();
                }
            }
        }
    }

    /// <summary>Whether a record's bytes are ready to read now, without taking any of them.</summary>
    public SslReadStatus Peek()
    {
        byte one;
        return Call(new Span<byte>(&one, 1), peek: true, out _);
    }

    /// <summary>Decrypts into <paramref name="destination"/> until it is full or the socket has no whole record left.</summary>
    /// <param name="destination">Where the plaintext goes.</param>
    /// <param name="read">The bytes written into <paramref name="destination"/>, whatever the status.</param>
    public SslReadStatus Read(Span<byte> destination, out int read) => Call(destination, peek: false, out read);

    /// <summary>
    /// Makes the close_notify (RFC 8446 section 6.1) of a connection taken over and takes its bytes from .NET's write
    /// BIO, for the caller to send. Not <see cref="SslStream.ShutdownAsync"/>: .NET calls <c>SSL_shutdown</c> a second
    /// time to read the client's close_notify, which reads the socket here and throws away the application records
    /// it finds (OpenSSL discards data once its close_notify is out); the client may still be uploading (half-close).
    /// </summary>
    /// <param name="buffer">Where the bytes go when they fit; else a new array is returned.</param>
    /// <returns>The bytes to send; default when no connection is taken over (use SslStream's shutdown).</returns>
    public ArraySegment<byte> Shutdown(byte[] buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        var gate = _gate;
        if (gate is null)
        {
            return default;
        }

        lock (gate)
        {
            if (_ssl is not { } ssl)
            {
                return default;
            }

            var added = false;
            try
            {
                ssl.DangerousAddRef(ref added);
                var pointer = ssl.DangerousGetHandle();
                SSL_set_quiet_shutdown(pointer, 0); // .NET makes its SSL objects quiet until its own shutdown.
                ERR_clear_error();
                var result = SSL_shutdown(pointer); // 0: sent, the client's not seen yet; 1: both. Never reads here.
                SSL_set_quiet_shutdown(pointer, 1); // So .NET's dispose-time shutdown does no I/O, even had Release been missed.
                if (result < 0 && SSL_get_error(pointer, result) is not (ErrorWantRead or ErrorWantWrite))
                {
                    var text = LastErrorText();
                    ERR_clear_error();
                    throw new IOException($"the TLS close_notify could not be made: {text}");
                }

                ERR_clear_error();
                var output = SSL_get_wbio(pointer);
                var pending = (int)BIO_ctrl_pending(output);
                var target = pending <= buffer.Length ? buffer : new byte[pending];
                var taken = 0;
                fixed (byte* start = target)
                {
                    while (taken < pending && BIO_read(output, start + taken, pending - taken) is var got and > 0)
                    {
                        taken += got;
                    }
                }

                return new ArraySegment<byte>(target, 0, taken);
            }
            finally
            {
                if (added)
                {
                    ssl.DangerousRelease();
                }
            }
        }
    }

    /// <summary>
    /// Puts .NET's read BIO back (the socket BIO is freed) and forgets the connection; call once the last
    /// <see cref="Read"/> has returned, before the stream is disposed.
    /// </summary>
    public void Release()
    {
        if (_ssl is not { } ssl)
        {
            return;
        }

        lock (_gate!)
        {
            var added = false;
            try
            {
                _ssl = null; // Under the lock: a Shutdown after this one uses SslStream's.
                ssl.DangerousAddRef(ref added);
                SSL_set0_rbio(ssl.DangerousGetHandle(), _netReadBio); // Our reference passes to the SSL object.
            }
            catch (ObjectDisposedException)
            {
                _ = BIO_free(_netReadBio); // The SSL object is gone (it freed the socket BIO): drop our reference.
            }
            finally
            {
                if (added)
                {
                    ssl.DangerousRelease();
                }
            }
        }

        _socket = null;
        _gate = null; // The client's SslStream options are not kept alive by a pooled connection.
        _netReadBio = 0;
    }

    private SslReadStatus Call(Span<byte> destination, bool peek, out int read)
    {
        read = 0;
        var ssl = _ssl ?? throw new InvalidOperationException("no connection was taken over");
        var socket = _socket!;
        var sslAdded = false;
        var socketAdded = false;
        lock (_gate!)
        {
            try
            {
                ssl.DangerousAddRef(ref sslAdded);
                socket.DangerousAddRef(ref socketAdded);
                var pointer = ssl.DangerousGetHandle();
                fixed (byte* start = destination)
                {
                    while (read < destination.Length)
                    {
                        ERR_clear_error(); // SSL_get_error reads this thread's queue: only this call's errors may be in it.
                        var room = destination.Length - read;
                        var result = peek ? SSL_peek(pointer, start + read, room) : SSL_read(pointer, start + read, room);
                        if (result > 0)
                        {
                            if (peek)
                            {
                                return SslReadStatus.Full;
                            }

                            read += result;
                            continue;
                        }

                        var errno = Marshal.GetLastPInvokeError();
                        var status = Classify(pointer, SSL_get_error(pointer, result), errno);
                        ERR_clear_error();
                        return status;
                    }

                    return SslReadStatus.Full;
                }
            }
            catch (ObjectDisposedException ex)
            {
                Failure = new IOException("the TLS connection was closed while its records were read", ex);
                return SslReadStatus.Failed;
            }
            finally
            {
                if (socketAdded)
                {
                    socket.DangerousRelease();
                }

                if (sslAdded)
                {
                    ssl.DangerousRelease();
                }
            }
        }
    }

    private SslReadStatus Classify(nint ssl, int error, int errno)
    {
        switch (error)
        {
            case ErrorWantRead when SSL_in_init(ssl) != 0:
                // A post-handshake message cut off at a record's end: the next SSL_write (SslStream's, on the send
                // thread) would go on reading it from the socket. No client of ours does this.
                Failure = new IOException(
                    "the client split a TLS handshake message across records after the handshake, which FastRelay does not read");
                return SslReadStatus.Failed;
            case ErrorWantRead when SSL_version(ssl) < Tls13Version && BIO_ctrl_pending(SSL_get_wbio(ssl)) != 0:
                // Below TLS 1.3 OpenSSL writes while reading only to answer a renegotiation: no_renegotiation, which would
                // wait in .NET's write BIO for the next record the edge sends. Refused at once instead.
                Failure = new IOException("the client asked to renegotiate TLS 1.2, which FastRelay refuses");
                return SslReadStatus.Failed;
            case ErrorWantRead:
                return SslReadStatus.Drained;
            case ErrorZeroReturn when BIO_ctrl(SSL_get_rbio(ssl), BioControlEof, 0, 0) != 0 && SSL_has_pending(ssl) != 0:
                // A FIN in the middle of a record: SSL_OP_IGNORE_UNEXPECTED_EOF reports it as an end; SslStream failed it.
                Failure = new IOException("the client's TCP connection ended in the middle of a TLS record");
                return SslReadStatus.Failed;
            case ErrorZeroReturn:
                return SslReadStatus.Ended; // close_notify, or a FIN between records (as SslStream reads it).
            case ErrorSyscall when errno != 0:
                var socketError = new SocketException((int)Transport.Epoll.LinuxSyscalls.ToSocketError(errno));
                Failure = new IOException($"Unable to read data from the transport connection: {socketError.Message} (errno {errno}).", socketError);
                return SslReadStatus.Failed;
            case ErrorSsl:
                Failure = new IOException($"the client's TLS record was refused: {LastErrorText()}");
                return SslReadStatus.Failed;
            default:
                Failure = new IOException($"reading the client's TLS records failed (SSL_get_error {error}, errno {errno}: {LastErrorText()})");
                return SslReadStatus.Failed;
        }
    }

    // The oldest error on this thread's queue, as OpenSSL words it ("error:0A000119:SSL routines::decryption failed or bad record mac").
    private static string LastErrorText()
    {
        var code = ERR_get_error();
        if (code == 0)
        {
            return "no OpenSSL error was queued";
        }

        Span<byte> text = stackalloc byte[256];
        fixed (byte* p = text)
        {
            ERR_error_string_n(code, p, (nuint)text.Length);
        }

        var length = text.IndexOf((byte)0);
        return Encoding.ASCII.GetString(text[..(length < 0 ? text.Length : length)]);
    }
}
