using System.Buffers;
using FastRelay.Relaying;

namespace FastRelay.Transport.Epoll;

/// <summary>The per-direction state.</summary>
internal sealed partial class EpollRelay
{
    /// <summary>One direction: where it reads, where it sends, what it holds back, how much it moved.</summary>
    private sealed class Flow(RelayDirection direction)
    {
        public RelayDirection Direction { get; } = direction;

        public int From { get; private set; }

        public int To { get; private set; }

        /// <summary>The block holding bytes read but not yet sent (the copy path), or null.</summary>
        public IMemoryOwner<byte>? Held { get; set; }

        /// <summary>The splice pipe this flow holds, while it is between its two splices or waiting for the sink (then <see cref="Count"/> bytes are in it).</summary>
        public SplicePipe? Pipe { get; set; }

        /// <summary>A read once filled a whole block: this flow splices from then on whenever its loop has a pipe for it.</summary>
        public bool Bulk { get; set; }

        /// <summary>
        /// The source sent TCP urgent data (EPOLLPRI): this flow never splices again. splice(2) stops at the urgent mark
        /// and never skips it (EAGAIN, or 0 when the FIN is behind it), where recv skips the urgent byte as the copy path needs.
        /// </summary>
        public bool Urgent { get; set; }

        /// <summary>Bytes held back: in <see cref="Held"/> from <see cref="Offset"/>, or in <see cref="Pipe"/>.</summary>

        public int Offset { get; set; }

        public int Count { get; set; }

        public long Bytes { get; set; }

        public bool SourceEnded { get; set; }

        /// <summary>An event said the source shut down (EPOLLRDHUP) or failed: its FIN or error is waiting behind any data.</summary>
        public bool PeerClosing { get; set; }

        public bool Ended { get; set; }

        /// <summary>The sink socket is watched for writability (EPOLLOUT), since a send to it first came up short.</summary>
        public bool SinkWatched { get; set; }

        /// <summary>Names the two sockets (once: a relay carries one connection).</summary>
        public void Attach(int from, int to)
        {
            From = from;
            To = to;
        }

        /// <summary>Gives back what the flow holds: its block to the pool, its pipe to the loop (closed if bytes are still in it).</summary>
        public void Release(EpollLoop? loop)
        {
            Held?.Dispose();
            Held = null;
            if (Pipe is { } pipe)
            {
                Pipe = null;
                if (Count > 0)
                {
                    loop!.DiscardPipe(pipe); // Bytes of an aborted connection: the pipe cannot be reused.
                }
                else
                {
                    loop!.ReturnPipe(pipe);
                }
            }

            Count = 0;
        }
    }
}
