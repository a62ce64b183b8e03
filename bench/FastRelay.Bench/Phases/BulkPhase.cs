using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using FastRelay.Bench.Client;
using FastRelay.Bench.Measurement;

namespace FastRelay.Bench.Phases;

/// <summary>
/// Phases (3) and (4): streams of bulk bytes into the sink. Each stream sends its bytes, half-closes, and
/// waits for the sink's 8-byte count, which must equal what was sent; throughput is timed until the last count
/// arrives, so bytes buffered in the relay are not counted as delivered.
/// </summary>
internal static class BulkPhase
{
    // Large writes keep the client's syscall count (and so its share of the 2 cores) low.
    private const int ChunkBytes = 256 * 1024;

    /// <summary>Runs <paramref name="streamCount"/> streams in parallel on <see cref="PhaseContext.Target"/>.</summary>
    public static async Task<PhaseResult> RunAsync(PhaseContext context, PhaseKind kind, int streamCount, CancellationToken cancellationToken)
    {
        if (context.Target.Tls is { } tls)
        {
            return await RunTlsAsync(context, tls, kind, streamCount, cancellationToken);
        }

        var options = context.Options;
        var result = new PhaseResult { Phase = kind, Path = context.Target.Name };
        var (sockets, error) = await ConnectionOpener.OpenAsync(context.Target.Sink!, streamCount, options.ConnectTimeout, cancellationToken);
        if (sockets is null)
        {
            return result with { Error = error };
        }

        var payload = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            for (var i = 0; i < ChunkBytes; i++)
            {
                payload[i] = (byte)i;
            }

            deadline.CancelAfter(options.PhaseTimeout);
            var warm = await Task.WhenAll(sockets.Select(s => WarmUpAsync(chunk => ClientSocket.SendAllAsync(s, chunk, deadline.Token), payload, options, deadline.Token)));
            if (warm.FirstOrDefault(w => w.Error is not null).Error is { } warmError)
            {
                return result with { Error = $"warm-up: {warmError}" };
            }

            var window = MeasuredWindow.Begin(context.Cpu);
            var errors = await Task.WhenAll(sockets.Select((s, i) => SendStreamAsync(s, warm[i].Sent, options.BulkBytes, payload, deadline.Token)));
            var totals = window.End();
            cancellationToken.ThrowIfCancellationRequested();

            var failed = errors.Where(e => e is not null).ToList();
            result = result with
            {
                Operations = streamCount - failed.Count,
                Bytes = failed.Count == 0 ? streamCount * options.BulkBytes : 0,
                Error = failed.Count == 0 ? null : $"{failed.Count} of {streamCount} stream(s) failed; first: {failed[0]}",
            };
            return result.WithWindow(totals);
        }
        finally
        {
            foreach (var socket in sockets)
            {
                socket.Dispose();
            }

            ArrayPool<byte>.Shared.Return(payload);
        }
    }

    // The mTLS path: handshakes first (not timed), then the same bytes through SslStream; close_notify + FIN.
    private static async Task<PhaseResult> RunTlsAsync(PhaseContext context, Tls.TlsClient tls, PhaseKind kind, int streamCount, CancellationToken cancellationToken)
    {
        var options = context.Options;
        var result = new PhaseResult { Phase = kind, Path = context.Target.Name };
        var streams = new List<(Socket Socket, System.Net.Security.SslStream Stream)>();
        var payload = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.PhaseTimeout);
        try
        {
            for (var i = 0; i < streamCount; i++)
            {
                streams.Add(await tls.ConnectAsync(context.Target.Sink!, options.ConnectTimeout, deadline.Token));
            }

            for (var i = 0; i < ChunkBytes; i++)
            {
                payload[i] = (byte)i;
            }

            var warm = await Task.WhenAll(streams.Select(s => WarmUpAsync(chunk => s.Stream.WriteAsync(chunk, deadline.Token), payload, options, deadline.Token)));
            if (warm.FirstOrDefault(w => w.Error is not null).Error is { } warmError)
            {
                return result with { Error = $"warm-up: {warmError}" };
            }

            var window = MeasuredWindow.Begin(context.Cpu);
            var errors = await Task.WhenAll(streams.Select((s, i) => SendTlsStreamAsync(s.Socket, s.Stream, warm[i].Sent, options.BulkBytes, payload, deadline.Token)));
            var totals = window.End();
            cancellationToken.ThrowIfCancellationRequested();
            var failed = errors.Where(e => e is not null).ToList();
            result = result with
            {
                Operations = streamCount - failed.Count,
                Bytes = failed.Count == 0 ? streamCount * options.BulkBytes : 0,
                Error = failed.Count == 0 ? null : $"{failed.Count} of {streamCount} stream(s) failed; first: {failed[0]}",
            };
            return result.WithWindow(totals);
        }
        catch (Exception ex) when (ex is IOException or System.Security.Authentication.AuthenticationException or SocketException or TimeoutException)
        {
            return result with { Error = $"{ex.GetType().Name}: {ex.Message}" };
        }
        finally
        {
            foreach (var (socket, stream) in streams)
            {
                await stream.DisposeAsync();
                socket.Dispose();
            }

            ArrayPool<byte>.Shared.Return(payload);
        }
    }

    // Unmeasured: the same stream carries bytes for --warmup (at most --bulk-bytes), so the measured transfer sees
    // tiered-up code and grown socket buffers on every path alike, as the ping-pong and connect phases do.
    private static async Task<(long Sent, string? Error)> WarmUpAsync(Func<ReadOnlyMemory<byte>, ValueTask> send, byte[] payload, Cli.RunOptions options, CancellationToken deadline)
    {
        long sent = 0;
        var until = Environment.TickCount64 + (long)options.Warmup.TotalMilliseconds;
        try
        {
            while (Environment.TickCount64 < until && sent < options.BulkBytes)
            {
                var chunk = (int)Math.Min(options.BulkBytes - sent, payload.Length);
                await send(payload.AsMemory(0, chunk));
                sent += chunk;
            }

            return (sent, null);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException)
        {
            return (sent, $"{ex.GetType().Name} after {sent} bytes: {ex.Message}");
        }
    }

    private static async Task<string?> SendTlsStreamAsync(Socket socket, System.Net.Security.SslStream stream, long warmedUp, long total, byte[] payload, CancellationToken deadline)
    {
        long sent = 0;
        try
        {
            while (sent < total)
            {
                var chunk = (int)Math.Min(total - sent, payload.Length);
                await stream.WriteAsync(payload.AsMemory(0, chunk), deadline);
                sent += chunk;
            }

            await Tls.TlsClient.HalfCloseAsync(socket, stream);
            var answer = new byte[sizeof(long)];
            await stream.ReadExactlyAsync(answer, deadline);
            var counted = BinaryPrimitives.ReadInt64LittleEndian(answer);
            return counted == warmedUp + total ? null : $"sink counted {counted} of {warmedUp + total} bytes ({warmedUp} of them in the warm-up)";
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException)
        {
            return $"{ex.GetType().Name}: {ex.Message}";
        }
    }

    private static async Task<string?> SendStreamAsync(Socket socket, long warmedUp, long total, byte[] payload, CancellationToken deadline)
    {
        long sent = 0;
        try
        {
            while (sent < total)
            {
                var chunk = (int)Math.Min(total - sent, payload.Length);
                await ClientSocket.SendAllAsync(socket, payload.AsMemory(0, chunk), deadline);
                sent += chunk;
            }

            socket.Shutdown(SocketShutdown.Send);
            var answer = new byte[64];
            var got = await ClientSocket.ReceiveExactlyAsync(socket, answer.AsMemory(0, sizeof(long)), deadline);
            if (got != sizeof(long))
            {
                return $"sink answered {got} of the 8 count bytes before closing";
            }

            var counted = BinaryPrimitives.ReadInt64LittleEndian(answer);
            if (counted != warmedUp + total)
            {
                return $"sink counted {counted} bytes but {warmedUp + total} were sent ({warmedUp} of them in the warm-up)";
            }

            var rest = await ClientSocket.CountUntilFinAsync(socket, answer, deadline);
            return rest == 0 ? null : $"sink sent {rest} unexpected bytes after its count";
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            return $"not finished before --timeout (sent {sent} of {total} bytes)";
        }
        catch (Exception ex) when (ClientSocket.IsNetworkFailure(ex))
        {
            return $"{ex.GetType().Name} after {sent} of {total} bytes: {ex.Message}";
        }
    }
}
