using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FastRelay.Bench.Client;

namespace FastRelay.Bench.Failover;

/// <summary>
/// One established session: a reader always waiting (so a reset or FIN is seen the moment it arrives, not at the next
/// ping) and a writer that sends 16 bytes every interval while the previous 16 have come back. Records when it ended
/// and whether a ping went unanswered for too long (a session left hanging).
/// </summary>
/// <remarks>Timestamps are <see cref="Stopwatch.GetTimestamp"/>; thread-safe reads of the outcome after <see cref="Completion"/>.</remarks>
internal sealed class LongSession
{
    private const int MessageBytes = 16;
    private readonly Socket _socket;
    private long _sentAt;      // When the unanswered ping left; 0 while none is outstanding.
    private long _endedAt;

    private LongSession(Socket socket) => _socket = socket;

    /// <summary>When the session ended by itself (FIN or reset from the edge); 0 while it is alive.</summary>
    public long EndedAt => Interlocked.Read(ref _endedAt);

    /// <summary>When the ping now outstanding was sent; 0 when none is.</summary>
    public long OutstandingSince => Interlocked.Read(ref _sentAt);

    /// <summary>Round trips completed.</summary>
    public long RoundTrips { get; private set; }

    /// <summary>Completes when the session ended (by itself or at <see cref="Close"/>).</summary>
    public Task Completion { get; private set; } = Task.CompletedTask;

    /// <summary>Connects and does one round trip; throws a network exception when it cannot.</summary>
    public static async Task<LongSession> OpenAsync(IPEndPoint edge, TimeSpan every, CancellationToken stop)
    {
        var socket = await ClientSocket.ConnectAsync(edge, TimeSpan.FromSeconds(5), stop);
        var session = new LongSession(socket);
        var buffer = new byte[MessageBytes];
        await ClientSocket.SendAllAsync(socket, buffer, stop);
        if (await ClientSocket.ReceiveExactlyAsync(socket, buffer, stop) != MessageBytes)
        {
            socket.Dispose();
            throw new IOException("the first round trip got no answer");
        }

        session.Completion = Task.WhenAll(session.ReadAsync(stop), session.WriteAsync(every, stop));
        return session;
    }

    /// <summary>Closes the socket (end of the run); the loops end.</summary>
    public void Close() => _socket.Dispose();

    private async Task ReadAsync(CancellationToken stop)
    {
        var buffer = new byte[MessageBytes];
        try
        {
            while (true)
            {
                if (await ClientSocket.ReceiveExactlyAsync(_socket, buffer, stop) != MessageBytes)
                {
                    break; // FIN from the edge.
                }

                RoundTrips++;
                Interlocked.Exchange(ref _sentAt, 0);
            }
        }
        catch (Exception ex) when (ClientSocket.IsNetworkFailure(ex) || ex is OperationCanceledException)
        {
            if (stop.IsCancellationRequested)
            {
                return; // The run is over: not an end the gateway caused.
            }
        }

        Interlocked.CompareExchange(ref _endedAt, Stopwatch.GetTimestamp(), 0);
    }

    private async Task WriteAsync(TimeSpan every, CancellationToken stop)
    {
        var buffer = new byte[MessageBytes];
        try
        {
            // Spread the sessions' pings over the interval, so 1,000 of them do not fire together.
            await Task.Delay(TimeSpan.FromTicks(Random.Shared.NextInt64(every.Ticks)), stop);
            while (EndedAt == 0)
            {
                if (OutstandingSince == 0)
                {
                    Interlocked.Exchange(ref _sentAt, Stopwatch.GetTimestamp());
                    await ClientSocket.SendAllAsync(_socket, buffer, stop);
                }

                await Task.Delay(every, stop);
            }
        }
        catch (Exception ex) when (ClientSocket.IsNetworkFailure(ex) || ex is OperationCanceledException)
        {
            // The reader records the end; a send that fails on a reset socket says the same thing.
        }
    }
}
