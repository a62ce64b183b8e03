using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using FastRelay.Configuration;
using FastRelay.Diagnostics;
using FastRelay.Filtering;
using FastRelay.Observing;
using FastRelay.RateLimiting;
using FastRelay.Relaying;
using FastRelay.Routing;
using FastRelay.Tls;
using FastRelay.Transport;
using FastRelay.Transport.Epoll;
using FastRelay.Tunnel.Pool;
using Microsoft.Extensions.Logging;
using FastRelay.Upstreams;
using Pipelines.Sockets.Unofficial;

namespace FastRelay.Relaying;

/// <summary>
/// One client connection through the edge, from accept to close: the Inbound policy and the rate limit, the
/// TLS handshake (when the edge has TLS), dial the upstream the picker chooses (failing over to others), relay
/// both ways, close both sockets, log the one close line. Pooled: the relay, the handshake state and the
/// transports (with their pipes) are reused by the next connection.
/// </summary>
/// <remarks>
/// <see cref="Close"/> and <see cref="CloseIfIdle"/> may be called from any thread (drain, idle
/// sweeper); everything else runs on the connection's own flow.
/// </remarks>
internal sealed partial class RelayedConnection : IDialGuard
{
    private readonly DuplexRelay _relay;
    private readonly SocketPipeConnection _client;
    private SocketPipeConnection? _upstream; // Created by the first direct (socket) target: a tunnel-only edge never pays for it.
    private readonly System.IO.Pipelines.PipeOptions _pipeOptions;
    private TlsPipeConnection? _tlsClient; // Created by the first TLS connection (RelayedConnection.Tls.cs): a plain edge never pays for it.
    private TlsHandshake? _handshake;
    private volatile bool _relaying;
    private volatile bool _handshaking;
    private ClientIdentity? _identity;
    private string? _certificateSha256;

    // True when the TLS listener's before-handshake check was final and counted in the rule hits: the after-handshake
    // check then runs uncounted, so each connection counts once.
    private bool _inboundCounted;

    // True when the Inbound row named the deciding rule (or no policy decides): the handshake row then names none, so
    // fastrelay_decisions_total counts each connection's Inbound decision once.
    private bool _inboundFinal;
    private IPAddress? _clientAddress;
    private IPEndPoint? _clientEndPoint;
    private IPEndPoint? _localEndPoint;
    private string _service = "";
    private PolicyGate? _policy;
    private FilterDecision? _outboundDenial;
    private FilterDecision? _outboundAllowed;
    private IPEndPoint? _lastDialled;
    private IPEndPoint? _attemptAllowed; // The address the Outbound rules allowed in the current dial attempt.
    private IPEndPoint? _checkedUpstream; // The one of the attempt that connected: what a re-check decides on.
    private FilterDecision? _recheckDenial; // Set by a re-check that closes the connection, for its close row.
    private TunnelLease? _tunnelStream;
    private string? _tunnelRefusal;
    private BackendState? _backend;
    private readonly List<TargetOptions> _tried = new(4); // Reused: the candidates this session has dialled.

    /// <summary>Creates the reusable parts.</summary>
    public RelayedConnection(System.IO.Pipelines.PipeOptions pipeOptions, TimeProvider time)
    {
        _relay = new DuplexRelay(time);
        _relay.DirectionEnded = _ => EndBackendSession(); // One delegate for the instance's life: nothing allocated per connection.
        _client = new SocketPipeConnection(pipeOptions);
        _pipeOptions = pipeOptions;
    }

    /// <summary>The table slot; owned by <see cref="ConnectionTable"/>.</summary>
    public int Slot { get; set; }

    /// <summary>The connection id that keys its log lines.</summary>
    public long Id { get; private set; }

    /// <summary>Readies the instance for a new connection.</summary>
    public void Reset(long id)
    {
        Id = id;
        _relaying = false;
        _relay.Reset();
    }

    /// <summary>
    /// Ends the connection with <paramref name="reason"/> now, or as soon as its relay starts; a connection
    /// that already has a reason but is still sending its last bytes is cut off too.
    /// </summary>
    public void Close(CloseReason reason)
    {
        if (!_relay.TryClose(reason))
        {
            // Idempotent, and harmless on a transport with no socket attached.
            _client.Abort();
            _upstream?.Abort();
            _tunnelStream?.Abort();
        }

        if (_handshaking)
        {
            _tlsClient?.Abort(); // The relay has not started: end the handshake itself.
        }
    }

    /// <summary>Closes the connection with <see cref="CloseReason.IdleTimeout"/> if no byte moved for <paramref name="idleTimeout"/>.</summary>
    public void CloseIfIdle(long nowTimestamp, TimeSpan idleTimeout)
    {
        if (_relaying && _relay.IdleFor(nowTimestamp) >= idleTimeout)
        {
            _relay.TryClose(CloseReason.IdleTimeout);
        }
    }

    /// <summary>Runs the connection to its end. Never throws for connection outcomes.</summary>
    public async Task<CloseReason> RunAsync(Socket client, ListenerOptions listener, EdgeContext context)
    {
        var started = context.Time.GetTimestamp();
        var clientEndPoint = client.RemoteEndPoint as IPEndPoint;
        _clientAddress = clientEndPoint?.Address;
        _clientEndPoint = clientEndPoint;
        _service = listener.Service;
        _policy = context.Policy;
        _outboundDenial = null;
        _outboundAllowed = null;
        _lastDialled = null;
        _attemptAllowed = null;
        _checkedUpstream = null;
        _recheckDenial = null;
        _tunnelStream = null;
        _tunnelRefusal = null;
        _identity = null;
        _certificateSha256 = null;
        var localEndPoint = client.LocalEndPoint as IPEndPoint;
        _localEndPoint = localEndPoint;
        var observer = context.Observer;

        // Step 1: the Inbound checkpoint, before any other work for this client (policy-format.md).
        // With TLS the identity and the SNI route are not known yet: only a denial that holds whatever they
        // turn out to be ends the connection here; the rest is decided again after the handshake.
        var inbound = clientEndPoint is null || localEndPoint is null ? null
            : context.Tls is null ? context.Policy.CheckInbound(clientEndPoint.Address, localEndPoint, listener.Service, Id)
            : context.Policy.CheckInboundBeforeHandshake(clientEndPoint.Address, localEndPoint, context.Tls.Options.ClientCaFile is not null, out _inboundCounted, Id);
        if (inbound is { IsAllowed: false } denied && (context.Tls is null || PolicyGate.IsFinalBeforeHandshake(denied)))
        {
            _relay.TryClose(CloseReason.FilterDenied);
            client.Dispose();
            observer.OnEvent(new ConnectionEvent(Id, context.Time.GetUtcNow(), Checkpoint.Inbound, Allowed: false, clientEndPoint, localEndPoint,
                listener.Service, Rule: denied.Rule, Reason: CloseReason.FilterDenied));
            Log.ConnectionDenied(context.Logger, Id, "Inbound", listener.Service, clientEndPoint, localEndPoint, denied);
            return CloseReason.FilterDenied;
        }

        // Allowed: by a rule, or because no policy is in force (Rule null). A decision the TLS handshake may still
        // overturn (an allow or a denial by a rule with Identity or Service conditions, taken to hold) names no rule:
        // the after-handshake check decides, and its handshake row names the rule.
        _inboundFinal = context.Tls is null || (inbound is { } decided && PolicyGate.IsFinalBeforeHandshake(decided)); // No policy yet: a reload may bring one.
        observer.OnEvent(new ConnectionEvent(Id, context.Time.GetUtcNow(), Checkpoint.Inbound, Allowed: true, clientEndPoint, localEndPoint,
            listener.Service, Rule: inbound is { IsAllowed: true } allowedBy && _inboundFinal ? allowedBy.Rule : null));

        // Step 1b: the connection token bucket, after the policy so a denied source spends no token.
        // Only a refusal is an event: a pass adds nothing to the Inbound allow above.
        if (clientEndPoint is not null && context.RateLimit is { IsIdentityKeyed: false } && context.RateLimit.Decide(clientEndPoint.Address, listener.Service) is { } rate && rate != RateDecision.Allowed)
        {
            _relay.TryClose(CloseReason.RateLimited);
            client.Dispose();
            var detail = RateLimitDetail.For(rate); // A constant: the log line says what the audit row says.
            observer.OnEvent(new ConnectionEvent(Id, context.Time.GetUtcNow(), Checkpoint.RateLimit, Allowed: false, clientEndPoint, localEndPoint,
                listener.Service, Reason: CloseReason.RateLimited, Detail: detail));
            Log.ConnectionRateLimited(context.Logger, Id, listener.Service, clientEndPoint, detail);
            return CloseReason.RateLimited;
        }

        SocketConnection.SetRecommendedServerOptions(client); // NoDelay: relay small writes at once.

        // Step 1c: the TLS handshake, only now, so a denied or rate-limited address never costs one. It picks
        // the route (SNI) and learns the client's identity, which the policy and the rate limit see again.
        IPipeConnection clientSide = _client;
        if (context.Tls is not null)
        {
            if (await HandshakeAsync(client, listener, context, clientEndPoint, localEndPoint) is { } refused)
            {
                return refused;
            }

            clientSide = TlsClient;
        }

        var service = _service;

        // Step 2: dial the route's upstream (each resolved address through the Outbound checkpoint), retrying
        // on a different target (--retries) if the first one fails.
        var dialStarted = context.Time.GetTimestamp();
        var (upstream, target) = await DialAsync(service, context);
        if (upstream is null && _tunnelStream is null)
        {
            _relay.TryClose(_outboundDenial is null && _tunnelRefusal is null ? CloseReason.UpstreamUnavailable : CloseReason.FilterDenied);
            await CloseUnrelayedAsync(client, context); // A plain close: the client sees EOF (after close_notify with TLS).
            var reason = _relay.Reason!.Value; // Shutdown, if the drain closed it while dialling.
            var failedAfter = context.Time.GetElapsedTime(started);

            // One line per connection: the denial line names the rule, the close line the dial failures.
            if (reason == CloseReason.FilterDenied && _tunnelRefusal is { } refusal)
            {
                // The gateway's Outbound rules refused the target (RST FORBIDDEN_TARGET): its audit row names the rule.
                observer.OnEvent(new ConnectionEvent(Id, context.Time.GetUtcNow(), Checkpoint.Outbound, Allowed: false, clientEndPoint, localEndPoint,
                    service, Destination: _lastDialled, Identity: _identity, CertificateSha256: _certificateSha256, Reason: CloseReason.FilterDenied, Detail: refusal,
                    DecidedByPeer: true));
                Log.TunnelDenied(context.Logger, Id, service, clientEndPoint, refusal);
            }
            else if (reason == CloseReason.FilterDenied && _outboundDenial is { } denial)
            {
                observer.OnEvent(new ConnectionEvent(Id, context.Time.GetUtcNow(), Checkpoint.Outbound, Allowed: false, clientEndPoint, localEndPoint,
                    service, Destination: _lastDialled, Rule: denial.Rule, Identity: _identity, CertificateSha256: _certificateSha256, Reason: CloseReason.FilterDenied));
                Log.ConnectionDenied(context.Logger, Id, "Outbound", service, clientEndPoint, localEndPoint, denial);
            }
            else
            {
                observer.OnEvent(new ConnectionEvent(Id, context.Time.GetUtcNow(), Checkpoint.Close, Allowed: true, clientEndPoint, localEndPoint,
                    service, Destination: _lastDialled, Identity: _identity, CertificateSha256: _certificateSha256, Reason: reason, Elapsed: failedAfter));
                Log.ConnectionClosed(context.Logger, Id, service, clientEndPoint, _tried.Count > 0 ? _tried[^1] : null, reason, 0, 0, failedAfter.TotalMilliseconds); // The last target tried.
            }

            return reason;
        }

        var upstreamEndPoint = upstream?.RemoteEndPoint as IPEndPoint ?? _lastDialled;
        var via = _tunnelStream is { } opened ? $"{target} via gateway {opened.Gateway}" : null;
        observer.OnEvent(new ConnectionEvent(Id, context.Time.GetUtcNow(), Checkpoint.Outbound, Allowed: true, clientEndPoint, localEndPoint,
            service, Destination: upstreamEndPoint, Rule: _outboundAllowed?.Rule, Identity: _identity, CertificateSha256: _certificateSha256,
            Detail: via, Elapsed: context.Time.GetElapsedTime(dialStarted)));

        // Step 3: relay until both directions end (or one fails, or TryClose is called). Plain TCP both ways at full
        // speed goes through the epoll relay when the edge has one (Transport/Epoll); everything else through pipes.
        // (The edge has an engine only without TLS and --bandwidth: EdgeServer decides.)
        RelayOutcome outcome;
        _relay.NoteActivity(context.Time.GetTimestamp()); // Before the sweeper may look: the last connection's clock is stale.
        if (upstream is not null && context.Epoll?.NextLoop() is { } loop)
        {
            _relaying = true;
            outcome = await new EpollRelay().RunAsync(client, upstream, _relay, context.Time, loop); // One per connection: EpollRelay says why.
            _relaying = false;
            EndBackendSession();

            // Step 4: every byte is with the kernel and each FIN was passed on (or both sockets were set to reset).
            upstream.Dispose();
            client.Dispose();
        }
        else
        {
            outcome = await RelayThroughPipesAsync(client, upstream, clientSide, context);
        }

        var duration = context.Time.GetElapsedTime(started);
        var rechecked = outcome.Reason == CloseReason.FilterDenied ? _recheckDenial : null; // Closed by --recheck-established: the rule that denied it.
        observer.OnEvent(new ConnectionEvent(Id, context.Time.GetUtcNow(), Checkpoint.Close, Allowed: true, clientEndPoint, localEndPoint,
            service, Destination: upstreamEndPoint, Rule: rechecked is { } recheckDenial ? recheckDenial.Rule : _outboundAllowed?.Rule, Identity: _identity, CertificateSha256: _certificateSha256,
            Reason: outcome.Reason, Detail: rechecked is null ? null : RecheckDetail,
            BytesClientToUpstream: outcome.BytesClientToUpstream, BytesUpstreamToClient: outcome.BytesUpstreamToClient, Elapsed: duration));
        Log.ConnectionClosed(context.Logger, Id, service, clientEndPoint, target, outcome.Reason,
            outcome.BytesClientToUpstream, outcome.BytesUpstreamToClient, duration.TotalMilliseconds);
        return outcome.Reason;
    }

    private async Task<RelayOutcome> RelayThroughPipesAsync(Socket client, Socket? upstream, IPipeConnection clientSide, EdgeContext context)
    {
        if (context.Tls is null)
        {
            _client.Start(client);
        }
        else
        {
            TlsClient.Start();
            if (TlsClient.RecordReaderNote is { } note)
            {
                Log.RecordsThroughSslStream(context.Logger, Id, note);
            }
        }

        // A tunnel stream is relayed exactly like a socket: it is an IPipeConnection too.
        IPipeConnection upstreamSide;
        if (upstream is not null)
        {
            _upstream ??= new SocketPipeConnection(_pipeOptions);
            _upstream.Start(upstream);
            upstreamSide = _upstream;
        }
        else
        {
            upstreamSide = _tunnelStream!;
        }

        // A stream the gateway reset, or whose tunnel died, while the relay is parked on the client (one that stopped
        // reading, or sends nothing) would otherwise wait for the idle timeout: no stream read or write is pending to fail.
        using var streamEnded = _tunnelStream is { } lease
            ? lease.Ended.UnsafeRegister(static r => ((DuplexRelay)r!).TryClose(CloseReason.UpstreamReset), _relay)
            : default;
        _relaying = true;
        var outcome = context.Options.Bandwidth is { } bandwidth
            ? await _relay.RunAsync(clientSide, upstreamSide, new ShapedDirection(bandwidth, context.Time), new ShapedDirection(bandwidth, context.Time))
            : await _relay.RunAsync(clientSide, upstreamSide);
        _relaying = false;
        streamEnded.Dispose(); // Waits for a callback in flight: this relay is pooled, and the next connection's must not be closed.
        EndBackendSession(); // Already done when a direction ended; a relay that never started one ends it here.

        // Step 4: let the last bytes reach each peer, then close both sockets.
        // A peer that stops reading may hold the last bytes for at most the idle timeout, as any other stall.
        var linger = context.Options.IdleTimeout > TimeSpan.Zero ? context.Options.IdleTimeout : EdgeOptions.DefaultIdleTimeout;
        if (upstream is not null)
        {
            await _upstream!.CloseAsync(linger);
        }
        else
        {
            _tunnelStream!.Dispose(); // The relay completed the stream's pipes (FIN or RST sent); its slot is free.
        }

        _ = context.Tls is null ? await _client.CloseAsync(linger) : await TlsClient.CloseAsync(linger); // False: aborted, already counted by the reason.
        return outcome;
    }

    // The session stops counting as outstanding on its backend when its first direction ends (a FIN or a failure
    // either way), not when the last byte is delivered: request/response protocols end with one FIN, and a client
    // that opens its next session at once must find the last one no longer counted, or weights would drift for
    // sessions that do not really overlap (README, "Load balancing and health checks"). Once per session.
    internal void EndBackendSession() => Interlocked.Exchange(ref _backend, null)?.SessionEnded();

    /// <summary>
    /// After an unexpected error (a bug): resets every transport, so that their loops end, the TLS record reader puts
    /// .NET's read BIO back, and nothing is left waiting on a flush (the connection is not reused).
    /// </summary>
    internal void AbortTransports()
    {
        _client.Abort();
        _tlsClient?.Abort();
        _upstream?.Abort();
        _tunnelStream?.Abort();
    }
}
