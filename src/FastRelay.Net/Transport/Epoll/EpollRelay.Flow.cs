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

        public IMemoryOwner<byte>? Held { get; set; }

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

        public void Release()
        {
            Held?.Dispose();
            Held = null;
            Count = 0;
        }
    }
}
