using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using FastRelay.Bench.Client;
using FastRelay.Bench.Tls;

namespace FastRelay.Bench.Soak;

/// <summary>
/// The soak's steady load: <c>Concurrency</c> workers, each running sessions back to back until the deadline. A
/// session is a new mutual-TLS connection to the edge that echoes a random-sized random payload through the tunnel
/// and checks what came back byte for byte (SHA-256 of both), then closes cleanly (close_notify, FIN, EOF); or,
/// for <c>ResetPercent</c> of them, sends half the payload, waits for the first echoed byte (so the reset hits a
/// session relaying through the tunnel, not a TLS handshake still being checked) and aborts with a TCP RST (linger 0).
/// </summary>
internal sealed class SoakLoad(SoakOptions options, IPEndPoint edge, TlsClient? tls)
{
    private static readonly TimeSpan SessionTimeout = TimeSpan.FromSeconds(30);
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<SessionFailure> _failures = [];
    private long _completed;
    private long _reset;
    private long _handshakes;
    private long _completedBytes;
    private long _echoedThenFailed;
    private long _resetBytes;
    private long _echoedThenFailedBytes;

    /// <summary>Sessions echoed byte-exact and closed cleanly.</summary>
    public long Completed => Interlocked.Read(ref _completed);

    /// <summary>Sessions the client reset on purpose.</summary>
    public long Reset => Interlocked.Read(ref _reset);

    /// <summary>Sessions whose TLS handshake completed (each must have its audit records).</summary>
    public long Handshakes => Interlocked.Read(ref _handshakes);

    /// <summary>Payload bytes of the completed sessions (each way).</summary>
    public long CompletedBytes => Interlocked.Read(ref _completedBytes);

    /// <summary>Bytes the reset sessions sent before their RST.</summary>
    public long ResetBytes => Interlocked.Read(ref _resetBytes);

    /// <summary>Sessions whose echo came back byte-exact but whose clean close then failed (the gateway restart).</summary>
    public long EchoedThenFailed => Interlocked.Read(ref _echoedThenFailed);

    /// <summary>Payload bytes of <see cref="EchoedThenFailed"/>.</summary>
    public long EchoedThenFailedBytes => Interlocked.Read(ref _echoedThenFailedBytes);

    /// <summary>Seconds since the load was created (the time axis of the samples and the failures).</summary>
    public double Now => _clock.Elapsed.TotalSeconds;

    /// <summary>Every failed session: when it started and ended, and why.</summary>
    public IReadOnlyList<SessionFailure> Failures
    {
        get
        {
            lock (_failures)
            {
                return [.. _failures];
            }
        }
    }

    /// <summary>Runs the workers until <paramref name="stop"/> is cancelled; each finishes its session in flight.</summary>
    public Task RunAsync(CancellationToken stop) =>
        Task.WhenAll(Enumerable.Range(0, options.Concurrency).Select(i => WorkerAsync(new Random(options.Seed + i), stop)));

    private async Task WorkerAsync(Random random, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            // Log-uniform sizes: as many small sessions as large ones.
            var size = (int)Math.Min(options.MaxPayload, Math.Exp(random.NextDouble() * Math.Log(options.MaxPayload)));
            var reset = random.Next(100) < options.ResetPercent;
            var payload = new byte[Math.Max(1, size)];
            random.NextBytes(payload);
            var started = Now;
            try
            {
                using var timeout = new CancellationTokenSource(SessionTimeout);
                await SessionAsync(payload, reset, timeout.Token);
                if (reset)
                {
                    Interlocked.Increment(ref _reset);
                    Interlocked.Add(ref _resetBytes, (payload.Length + 1) / 2);
                }
                else
                {
                    Interlocked.Increment(ref _completed);
                    Interlocked.Add(ref _completedBytes, payload.Length);
                }
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or TimeoutException
                or System.Security.Authentication.AuthenticationException or InvalidDataException)
            {
                lock (_failures)
                {
                    _failures.Add(new SessionFailure(started, Now, $"{e.GetType().Name}: {e.Message}"));
                }
            }

            try
            {
                await Task.Delay(options.Pause, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task SessionAsync(byte[] payload, bool reset, CancellationToken ct)
    {
        Socket socket;
        Stream stream;
        if (tls is null)
        {
            socket = await ClientSocket.ConnectAsync(edge, SessionTimeout, ct); // --plain: no handshake.
            stream = new NetworkStream(socket, ownsSocket: false);
        }
        else
        {
            (socket, var ssl) = await tls.ConnectAsync(edge, SessionTimeout, ct);
            stream = ssl;
        }

        Interlocked.Increment(ref _handshakes);
        using (socket)
        await using (stream)
        {
            if (reset)
            {
                await stream.WriteAsync(payload.AsMemory(0, (payload.Length + 1) / 2), ct);
                await stream.FlushAsync(ct);
                _ = await ReadExactlyAsync(stream, 1, ct); // The path is up end to end: the reset lands mid-session.
                socket.LingerState = new LingerOption(true, 0); // close() now sends RST, not FIN.
                socket.Close();
                return;
            }

            var echo = ReadExactlyAsync(stream, payload.Length, ct);
            await stream.WriteAsync(payload, ct);
            await stream.FlushAsync(ct);
            var back = await echo;
            if (!SHA256.HashData(back).AsSpan().SequenceEqual(SHA256.HashData(payload)))
            {
                throw new InvalidDataException($"echo of {payload.Length} bytes differs");
            }

            try
            {
                if (stream is SslStream ssl)
                {
                    await TlsClient.HalfCloseAsync(socket, ssl);
                }
                else
                {
                    socket.Shutdown(SocketShutdown.Send);
                }

                var extra = await stream.ReadAsync(new byte[1], ct);
                if (extra != 0)
                {
                    throw new InvalidDataException("bytes after the echo");
                }
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
            {
                // The edge may already count this one Completed (both directions relayed); the audit check allows for it.
                Interlocked.Increment(ref _echoedThenFailed);
                Interlocked.Add(ref _echoedThenFailedBytes, payload.Length);
                throw;
            }
        }
    }

    private static async Task<byte[]> ReadExactlyAsync(Stream stream, int length, CancellationToken ct)
    {
        var buffer = new byte[length];
        var read = 0;
        while (read < length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read), ct);
            if (n == 0)
            {
                throw new IOException($"EOF after {read} of {length} echoed bytes");
            }

            read += n;
        }

        return buffer;
    }
}

/// <summary>A failed session: its start and end (seconds since the load began) and the client's error.</summary>
internal sealed record SessionFailure(double Started, double Ended, string Error);
