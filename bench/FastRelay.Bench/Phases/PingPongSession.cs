using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using FastRelay.Bench.Client;
using FastRelay.Bench.Measurement;

namespace FastRelay.Bench.Phases;

/// <summary>
/// One connection doing sequential ping-pong with the echo backend: send a message, read it back, check it,
/// record the round trip, repeat until the stage says stop.
/// </summary>
/// <remarks>
/// Hot path of the latency and sessions phases; it allocates nothing per exchange (pooled buffers, pooled
/// ValueTask builders, no CancellationToken registration) so the client stays cheap on a 2-core machine.
/// Each message carries the exchange number and a per-session pattern, so a relay that crosses, drops,
/// repeats or reorders bytes is caught by the content check, not only by the count.
/// </remarks>
internal sealed class PingPongSession : IDisposable
{
    private readonly Socket _socket;
    private readonly int _id;
    private readonly int _messageBytes;
    private readonly byte[] _send;
    private readonly byte[] _receive;
    private long _measured;
    private volatile bool _aborted;

    public PingPongSession(Socket socket, int id, int messageBytes)
    {
        _socket = socket;
        _id = id;
        _messageBytes = messageBytes;
        _send = ArrayPool<byte>.Shared.Rent(messageBytes);
        _receive = ArrayPool<byte>.Shared.Rent(Math.Max(messageBytes, 4096));
        for (var i = 0; i < messageBytes; i++)
        {
            _send[i] = (byte)(id * 31 + i);
        }
    }

    /// <summary>Exchanges completed while the stage was <see cref="Stage.Measuring"/>; read after <see cref="RunAsync"/>.</summary>
    public long MeasuredExchanges => _measured;

    /// <summary>Why this session failed, or null.</summary>
    public string? Failure { get; private set; }

    /// <summary>Runs until <paramref name="stage"/> is stopped or <paramref name="maxExchanges"/> is reached, then closes.</summary>
    public async Task RunAsync(PhaseStage stage, LatencyRecorder recorder, long maxExchanges)
    {
        var send = _send.AsMemory(0, _messageBytes);
        var receive = _receive.AsMemory(0, _messageBytes);
        try
        {
            for (long sequence = 0; sequence < maxExchanges && stage.Current != Stage.Stopped; sequence++)
            {
                if (_messageBytes >= sizeof(long))
                {
                    BinaryPrimitives.WriteInt64LittleEndian(send.Span, sequence);
                }

                var start = Stopwatch.GetTimestamp();
                await ClientSocket.SendAllAsync(_socket, send, CancellationToken.None);
                var received = await ClientSocket.ReceiveExactlyAsync(_socket, receive, CancellationToken.None);
                var end = Stopwatch.GetTimestamp();
                if (!Check(received, receive.Span, send.Span, sequence))
                {
                    return;
                }

                if (stage.Current == Stage.Measuring)
                {
                    recorder.Record(start, end);
                    _measured++;
                }
            }

            var extra = await ClientSocket.CloseAndCountRestAsync(_socket, _receive, CancellationToken.None);
            if (extra != 0)
            {
                Failure = $"session {_id}: {extra} unexpected bytes after the last echo";
            }
        }
        catch (Exception ex) when (ClientSocket.IsNetworkFailure(ex))
        {
            Failure = _aborted
                ? $"session {_id}: no answer before the phase's --timeout; connection aborted"
                : $"session {_id}: {ex.GetType().Name}: {ex.Message}";
        }
    }

    private bool Check(int received, ReadOnlySpan<byte> receive, ReadOnlySpan<byte> send, long sequence)
    {
        if (received != _messageBytes)
        {
            Failure = $"session {_id}: echo returned {received} of {_messageBytes} bytes at exchange {sequence} (peer closed)";
            return false;
        }

        if (!receive.SequenceEqual(send))
        {
            Failure = $"session {_id}: echo returned different bytes at exchange {sequence} (crossed or stale data)";
            return false;
        }

        return true;
    }

    /// <summary>Aborts the connection, making a pending send or receive fail at once (hard timeout, Ctrl-C).</summary>
    public void Abort()
    {
        _aborted = true;
        _socket.Dispose();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _socket.Dispose();
        ArrayPool<byte>.Shared.Return(_send);
        ArrayPool<byte>.Shared.Return(_receive);
    }
}
