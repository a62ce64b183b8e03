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

    /// <summary>Bounds the warning for refused streams to one a second (a full gateway refuses every OPEN).</summary>
    public Diagnostics.OncePerInterval LimitLog { get; } = new(Time, TimeSpan.FromSeconds(1));

    /// <summary>Bounds the Information line for FORBIDDEN_TARGET refusals to one a second (the rest at Debug; all are audited).</summary>
    public Diagnostics.OncePerInterval DenialLog { get; } = new(Time, TimeSpan.FromSeconds(1));

    /// <summary><c>--max-streams</c> (as fitted to the open-file limit).</summary>
    public int MaxStreams { get; init; } = int.MaxValue;

    /// <summary>Descriptors for tunnels and target sockets together (<see cref="Configuration.GatewayOptions.DescriptorBudget"/>).</summary>
    public int DescriptorBudget { get; init; } = int.MaxValue;

    /// <summary>True with <c>--recheck-established</c>: the streams being relayed are kept in <see cref="Relaying"/>.</summary>
    public bool TracksRelaying { get; init; }

    /// <summary>The streams being relayed now, by stream id (only with <see cref="TracksRelaying"/>): what a re-check decides again after a reload.</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<long, RelayingStream> Relaying { get; } = new();
}

/// <summary>
/// A stream being relayed (<c>--recheck-established</c>): what its Outbound decision was taken on, and its relay to close
/// if a new policy denies it. <see cref="TryDeny"/> and <see cref="End"/> take its lock, so a re-check never closes the
/// pooled relay after the stream ended and the relay went on to the next one.
/// </summary>
internal sealed class RelayingStream(IPEndPoint client, IPEndPoint? destination, Relaying.DuplexRelay relay)
{
    private readonly Lock _lock = new();
    private bool _ended;

    public IPEndPoint Client => client;

    public IPEndPoint? Destination => destination;

    /// <summary>The decision that closed it, for its close row; null when no re-check did.</summary>
    public FilterDecision? Denial { get; private set; }

    /// <summary>Closes the relay as FilterDenied by <paramref name="decision"/>; false when the stream already ended or was ending.</summary>
    public bool TryDeny(FilterDecision decision)
    {
        lock (_lock)
        {
            if (_ended || relay.Reason is not null)
            {
                return false;
            }

            Denial = decision;
            return relay.TryClose(Diagnostics.CloseReason.FilterDenied);
        }
    }

    /// <summary>The relay ended: from now on a re-check leaves it alone.</summary>
    public void End()
    {
        lock (_lock)
        {
            _ended = true;
        }
    }
}

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
