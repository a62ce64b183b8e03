using System.Buffers;
using System.Diagnostics;
using FastRelay.Bench.Client;
using FastRelay.Bench.Measurement;

namespace FastRelay.Bench.Phases;

/// <summary>
/// Phase (5): new connections per second. A few loops each connect, do one checked exchange, half-close, wait
/// for the echo's FIN, and start over, until the duration ends or <c>--connect-count</c> connections were
/// measured. Warm-up ends after <c>--warmup</c> or a tenth of that count, whichever comes first.
/// </summary>
/// <remarks>
/// The client closes first, so TIME_WAIT lands on its side; Linux reuses those ports for loopback connects
/// (net.ipv4.tcp_tw_reuse = 2, the default), and the count bound keeps a run well inside the ephemeral range.
/// </remarks>
internal sealed class ConnectRatePhase
{
    private readonly PhaseContext _context;
    private readonly PhaseStage _stage = new();
    private readonly TaskCompletionSource _warmupDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _measuringStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _warmupIssued;
    private int _measuredIssued;
    private long _measured;

    private ConnectRatePhase(PhaseContext context) => _context = context;

    /// <summary>Runs the phase on <see cref="PhaseContext.Target"/>; failures come back as values.</summary>
    public static Task<PhaseResult> RunAsync(PhaseContext context, CancellationToken cancellationToken) =>
        new ConnectRatePhase(context).RunAsync(cancellationToken);

    private async Task<PhaseResult> RunAsync(CancellationToken cancellationToken)
    {
        var options = _context.Options;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.PhaseTimeout);
        var loops = Task.WhenAll(Enumerable.Range(0, options.ConnectConcurrency)
            .Select(_ => Task.Run(() => LoopAsync(deadline.Token), CancellationToken.None)));

        await Task.WhenAny(loops, _warmupDone.Task, Task.Delay(options.Warmup, cancellationToken));
        var window = MeasuredWindow.Begin(_context.Cpu);
        _stage.Set(Stage.Measuring);
        _measuringStarted.SetResult();
        await Task.WhenAny(loops, Task.Delay(options.Duration, cancellationToken));
        _stage.Set(Stage.Stopped);
        var totals = window.End();
        var errors = await loops;
        cancellationToken.ThrowIfCancellationRequested();

        var failed = errors.Where(e => e is not null).ToList();
        var error = failed.Count > 0
            ? $"{failed.Count} of {errors.Length} connect loop(s) failed; first: {failed[0]}"
            : _measured == 0 ? "no connection completed in the measured window (raise --connect-count or lower --warmup)" : null;
        var result = new PhaseResult
        {
            Phase = PhaseKind.Connect,
            Path = _context.Target.Name,
            Operations = Interlocked.Read(ref _measured),
            Latency = _context.Recorder.Summarize(),
            Error = error,
        };
        return result.WithWindow(totals);
    }

    private async Task<string?> LoopAsync(CancellationToken deadline)
    {
        var options = _context.Options;
        var send = ArrayPool<byte>.Shared.Rent(options.MessageBytes);
        var receive = ArrayPool<byte>.Shared.Rent(Math.Max(options.MessageBytes, 4096));
        // 'Z'... ending in a newline: a palindromic line, so openssl s_server -rev (the --openssl-reference path)
        // sends back the same bytes an echo does.
        send.AsSpan(0, options.MessageBytes).Fill((byte)'Z');
        send[options.MessageBytes - 1] = (byte)'\n';
        try
        {
            while (await TryStartConnectionAsync())
            {
                var start = Stopwatch.GetTimestamp();
                var error = _context.Target.Tls is { } tls
                    ? await TlsConnectExchangeCloseAsync(tls, send.AsMemory(0, options.MessageBytes), receive, deadline)
                    : await ConnectExchangeCloseAsync(send.AsMemory(0, options.MessageBytes), receive, deadline);
                if (error is not null)
                {
                    return error;
                }

                if (_stage.Current == Stage.Measuring)
                {
                    _context.Recorder.Record(start, Stopwatch.GetTimestamp());
                    Interlocked.Increment(ref _measured);
                }
            }

            return null;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            return "no answer before --timeout";
        }
        catch (Exception ex) when (ClientSocket.IsNetworkFailure(ex))
        {
            return $"{ex.GetType().Name}: {ex.Message}";
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(send);
            ArrayPool<byte>.Shared.Return(receive);
        }
    }

    // Count bounds: warm-up takes at most a tenth of --connect-count, then loops wait for the measured stage.
    private async ValueTask<bool> TryStartConnectionAsync()
    {
        var warmupLimit = _context.Options.ConnectWarmupCount ?? Math.Max(1, _context.Options.ConnectCount / 10);
        if (_stage.Current == Stage.Warmup && Interlocked.Increment(ref _warmupIssued) > warmupLimit)
        {
            _warmupDone.TrySetResult();
            await _measuringStarted.Task;
        }

        return _stage.Current switch
        {
            Stage.Warmup => true,
            Stage.Measuring => Interlocked.Increment(ref _measuredIssued) <= _context.Options.ConnectCount,
            _ => false,
        };
    }

    // The mTLS path: a full handshake (client certificate, no resumption), one exchange, close_notify + FIN,
    // then the relay's close_notify and FIN.
    private async Task<string?> TlsConnectExchangeCloseAsync(Tls.TlsClient tls, ReadOnlyMemory<byte> send, byte[] receive, CancellationToken deadline)
    {
        var (socket, stream) = await tls.ConnectAsync(_context.Target.Echo!, _context.Options.ConnectTimeout, deadline);
        using (socket)
        await using (stream)
        {
            await stream.WriteAsync(send, deadline);
            await stream.ReadExactlyAsync(receive.AsMemory(0, send.Length), deadline);
            if (!receive.AsSpan(0, send.Length).SequenceEqual(send.Span))
            {
                return "echo returned different bytes";
            }

            await Tls.TlsClient.HalfCloseAsync(socket, stream);
            var extra = 0;
            int n;
            while ((n = await stream.ReadAsync(receive, deadline)) > 0)
            {
                extra += n;
            }

            return extra == 0 ? null : $"{extra} unexpected bytes after the echo";
        }
    }

    private async Task<string?> ConnectExchangeCloseAsync(ReadOnlyMemory<byte> send, byte[] receive, CancellationToken deadline)
    {
        using var socket = await ClientSocket.ConnectAsync(_context.Target.Echo!, _context.Options.ConnectTimeout, deadline);
        await ClientSocket.SendAllAsync(socket, send, deadline);
        var received = await ClientSocket.ReceiveExactlyAsync(socket, receive.AsMemory(0, send.Length), deadline);
        if (received != send.Length || !receive.AsSpan(0, received).SequenceEqual(send.Span))
        {
            return $"echo returned {received} of {send.Length} bytes, or different bytes";
        }

        var extra = await ClientSocket.CloseAndCountRestAsync(socket, receive, deadline);
        return extra == 0 ? null : $"{extra} unexpected bytes after the echo";
    }
}
