using System.IO.Pipelines;
using System.Net.Sockets;

namespace FastRelay.Transport;

/// <summary>
/// The abort of a pooled transport whose two loops move bytes between a socket and a pair of pipes
/// (<see cref="SocketPipeConnection"/>, <see cref="Tls.TlsPipeConnection"/>): once, thread-safe, and under the lock that
/// the owner's reset of the pipes for the next connection takes too.
/// </summary>
internal static class PipeTransportAbort
{
    /// <summary>Aborts: wakes both loops, resets the socket (RST) and disposes it. Nothing when already aborted or closed.</summary>
    /// <param name="gate">The transport's lock, also held around its pipes' reset for reuse.</param>
    /// <param name="aborted">The transport's aborted flag (1 once aborted or closed).</param>
    /// <param name="socket">The transport's socket field: read under the lock, null once the transport was closed.</param>
    /// <param name="receive">The pipe the receive loop writes.</param>
    /// <param name="send">The pipe the send loop reads.</param>
    public static void Run(Lock gate, ref int aborted, ref Socket? socket, Pipe receive, Pipe send)
    {
        lock (gate)
        {
            if (Interlocked.Exchange(ref aborted, 1) != 0 || socket is not { } attached)
            {
                return;
            }

            // Wake loops parked on the pipes rather than on the socket, before the socket goes: a loop parked on the
            // socket leaves its cancellation pending, and only while the socket lives can nobody have reset the pipes
            // for the next connection yet. Cancelled after the dispose, the owner's CloseAsync (it awaits the loops, which
            // the dispose ends) could reset them first, and the next connection's first read or flush came back cancelled:
            // its send ended as aborted at once (a gateway stream reset with CANCEL after an aborted one, seen in tests).
            // The lock covers an Abort that comes after the loops ended (the drain's): the reset waits for it.
            receive.Writer.CancelPendingFlush();
            send.Reader.CancelPendingRead();

            try
            {
                // Linger 0 makes Close send RST: the peer learns at once that the stream did not end well.
                attached.LingerState = new LingerOption(true, 0);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // Already closed by the other side or by CloseAsync: nothing left to reset.
            }

            attached.Dispose();
        }
    }
}
