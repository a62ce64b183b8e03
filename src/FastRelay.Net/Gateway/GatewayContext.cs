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

    /// <summary>A process-wide id per stream: the ConnectionId of its log lines and audit records.</summary>
    public long NextStreamId() => Interlocked.Increment(ref _nextStreamId);
}
