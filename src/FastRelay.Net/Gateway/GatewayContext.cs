using System.Net;
using FastRelay.Filtering;
using FastRelay.Observing;
using FastRelay.Upstreams;
using Microsoft.Extensions.Logging;

namespace FastRelay.Gateway;

/// <summary>What every stream of a gateway shares: the policy gate, the dialer, the clock, the logger, the observers
/// (audit, metrics), the pipe options of its sockets and its counters. Immutable (the gate swaps its policy inside).</summary>
internal sealed record GatewayContext(
    PolicyGate Policy,
    IUpstreamDialer Dialer,
    TimeSpan ConnectTimeout,
    TimeProvider Time,
    ILogger Logger,
    IConnectionObserver Observer,
    System.IO.Pipelines.PipeOptions PipeOptions,
    GatewayStats Stats,
    IPEndPoint ListenEndPoint)
{
    /// <summary>The service label of the gateway's audit records and metrics (the edge's route name is not sent).</summary>
    public const string Service = "tunnel";

    private long _nextStreamId;

    /// <summary>The per-stream relay parts, reused by the next stream (64 KiB blocks come from the memory pool either way).</summary>
    public Microsoft.Extensions.ObjectPool.ObjectPool<GatewayRelayParts> Relays { get; } =
        new Microsoft.Extensions.ObjectPool.DefaultObjectPool<GatewayRelayParts>(new GatewayRelayParts.Policy(PipeOptions, Time), maximumRetained: 1024);

    /// <summary>A process-wide id per stream: the ConnectionId of its log lines and audit records.</summary>
    public long NextStreamId() => Interlocked.Increment(ref _nextStreamId);

    /// <summary>The streams being relayed now, by stream id: what <c>--recheck-established</c> decides again after a reload.</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<long, RelayingStream> Relaying { get; } = new();
}

/// <summary>A stream being relayed: what its Outbound decision was taken on, and the relay to close if a new policy denies it.</summary>
internal sealed record RelayingStream(IPEndPoint Client, IPEndPoint? Destination, string Target, Relaying.DuplexRelay Relay);

/// <summary>What relaying one stream needs besides the stream: the upstream socket's transport and the relay.</summary>
internal sealed class GatewayRelayParts(System.IO.Pipelines.PipeOptions pipeOptions, TimeProvider time)
{
    public Transport.SocketPipeConnection Upstream { get; } = new(pipeOptions);

    public Relaying.DuplexRelay Relay { get; } = new(time);

    internal sealed class Policy(System.IO.Pipelines.PipeOptions pipeOptions, TimeProvider time)
        : Microsoft.Extensions.ObjectPool.PooledObjectPolicy<GatewayRelayParts>
    {
        public override GatewayRelayParts Create() => new(pipeOptions, time);

        // Reusable once CloseAsync has reset the transport's pipes; a stream that threw before that is not returned.
        public override bool Return(GatewayRelayParts obj) => obj.Upstream.Socket is null;
    }
}
