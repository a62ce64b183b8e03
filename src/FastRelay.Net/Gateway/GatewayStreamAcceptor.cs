using System.Net;
using FastRelay.Diagnostics;
using FastRelay.Observing;
using FastRelay.Relaying;
using FastRelay.Transport;
using FastRelay.Tunnel.Frames;
using FastRelay.Tunnel.Session;

namespace FastRelay.Gateway;

/// <summary>
/// The gateway's answer to each OPEN on one tunnel connection (tunnel.md §4.5): check the target against the
/// Outbound rules, dial it, answer OPEN_OK or RST with the target error code, then relay stream &lt;-&gt; socket
/// with the relay core, exactly as the edge relays client &lt;-&gt; upstream. One audit record per decision and
/// one per close, like the edge's connections.
/// </summary>
/// <remarks>One per tunnel connection; <see cref="AcceptAsync"/> runs once per OPEN, concurrently.</remarks>
internal sealed partial class GatewayStreamAcceptor(GatewayContext context, IPEndPoint edge) : ITunnelStreamAcceptor
{
    /// <inheritdoc />
    public async Task AcceptAsync(TunnelStreamRequest request, CancellationToken ct)
    {
        var id = context.NextStreamId();
        var target = request.Target;

        // Step 1: whose connection this is. The edge names the original client in OPEN; without it, the edge.
        var client = target.ClientAddress ?? edge;

        // Then a slot, before any other work: every stream holds a target socket, and the descriptors are bounded
        // (--max-streams, the open-file limit). REFUSED_STREAM: never dialled, so the edge retries elsewhere.
        if (!context.Stats.TryTakeStreamSlot(context.MaxStreams, context.DescriptorBudget, out var overMaxStreams))
        {
            var full = overMaxStreams ? $"{context.MaxStreams} streams open (--max-streams)" : $"{context.DescriptorBudget} descriptors in use by tunnels and streams (the open-file limit)";
            try
            {
                context.Observer.OnEvent(new ConnectionEvent(id, context.Time.GetUtcNow(), Checkpoint.Accept, Allowed: false, client, context.ListenEndPoint,
                    GatewayContext.Service, Reason: CloseReason.ConnectionLimit, Detail: $"{Describe(target)}: {full}"));
            }
            finally
            {
                context.Stats.StreamRejected();
                request.Reject(TunnelErrorCode.RefusedStream);
            }

            if (context.LimitLog.TryEnter())
            {
                Log.StreamLimited(context.Logger, id, target, edge, full); // A warning at most once a second, as the edge's --max-connections.
            }

            return;
        }

        try
        {
            await RelayAsync(request, id, target, client, ct);
        }
        finally
        {
            context.Stats.ReleaseStreamSlot();
        }
    }

    private async Task RelayAsync(TunnelStreamRequest request, long id, TunnelTarget target, IPEndPoint client, CancellationToken ct)
    {
        var started = context.Time.GetTimestamp();
        var dial = new GatewayTargetDial(context.Policy, client.Address, GatewayContext.Service, id);

        // Step 2: the Outbound rules on every resolved address, then the dial (cancelled if the edge resets the OPEN).
        var (socket, error, failure) = await dial.DialAsync(target, context.Dialer, context.ConnectTimeout, ct);
        if (socket is null)
        {
            // Recorded before the edge hears of it: an edge (or a test) that has the RST finds the record and the count.
            // The RST carries the real code whatever the recording does (FORBIDDEN_TARGET must never become INTERNAL).
            try
            {
                Refused(id, target, client, dial, error, failure, context.Time.GetElapsedTime(started));
            }
            finally
            {
                context.Stats.StreamRejected();
                request.Reject(error);
            }

            return;
        }

        // Step 3: OPEN_OK. Null when the edge reset the stream while we dialled: nothing to relay.
        if (request.Accept() is not { } stream)
        {
            socket.Dispose();
            context.Stats.StreamRejected();
            Log.StreamCancelled(context.Logger, id, target, edge);
            return;
        }

        var destination = socket.RemoteEndPoint as IPEndPoint ?? dial.Destination;
        context.Observer.OnEvent(new ConnectionEvent(id, context.Time.GetUtcNow(), Checkpoint.Outbound, Allowed: true, client, context.ListenEndPoint,
            GatewayContext.Service, Destination: destination, Rule: dial.Allowed?.Rule, Detail: Describe(target), Elapsed: context.Time.GetElapsedTime(started)));

        // Step 4: relay until both directions end; then the socket's last bytes, and one close record.
        context.Stats.StreamStarted();
        var parts = context.Relays.Get(); // Pooled like the edge's connections: the transport, its pipes and the relay.
        var upstream = parts.Upstream;
        RelayingStream? tracked = null;
        CancellationTokenRegistration ended = default;
        try
        {
            upstream.Start(socket);
            var relay = parts.Relay;
            relay.Reset();

            // ct fires when the edge resets the stream or the tunnel connection ends. A relay parked on the target (one
            // that stopped reading holds the stream-to-target pump in its flush; one that sends nothing, the other pump
            // in its read) never touches the stream again, so only this reaches it: without it the target socket and
            // the --max-streams slot would be held for good (the gateway has no idle timeout of its own).
            ended = ct.UnsafeRegister(static r => ((DuplexRelay)r!).TryClose(CloseReason.ClientReset), relay);
            tracked = context.TracksRelaying ? new RelayingStream(client, destination, relay) : null;
            if (tracked is not null)
            {
                context.Relaying[id] = tracked;
            }

            var outcome = await relay.RunAsync(stream, upstream);
            tracked?.End();
            _ = await upstream.CloseAsync(RelayLinger); // False: aborted, already counted by the reason.
            if (outcome.Reason == CloseReason.ClientReset && stream.ResetCode == TunnelErrorCode.ShuttingDown)
            {
                // Reset by a drain deadline (ours, at --drain-timeout, or the edge's): the edge's name for it, not the edge's failure.
                outcome = outcome with { Reason = CloseReason.Shutdown };
            }
            var elapsed = context.Time.GetElapsedTime(started);
            var denial = outcome.Reason == CloseReason.FilterDenied ? tracked?.Denial : null; // Closed by --recheck-established.
            context.Observer.OnEvent(new ConnectionEvent(id, context.Time.GetUtcNow(), Checkpoint.Close, Allowed: true, client, context.ListenEndPoint,
                GatewayContext.Service, Destination: destination, Rule: denial is { } d ? d.Rule : dial.Allowed?.Rule, Reason: outcome.Reason,
                Detail: denial is null ? Describe(target) : $"{Describe(target)}: {Relaying.RelayedConnection.RecheckDetail}",
                BytesClientToUpstream: outcome.BytesClientToUpstream, BytesUpstreamToClient: outcome.BytesUpstreamToClient, Elapsed: elapsed));
            Log.StreamClosed(context.Logger, id, outcome.Reason, target, destination, edge, client, outcome.BytesClientToUpstream, outcome.BytesUpstreamToClient, elapsed.TotalMilliseconds);
        }
        finally
        {
            ended.Dispose(); // Waits for a callback in flight: the relay goes back to the pool only after it.
            if (tracked is not null)
            {
                tracked.End(); // Before the relay goes back to the pool: a re-check must not close its next stream.
                context.Relaying.TryRemove(id, out _);
            }

            context.Stats.StreamEnded();
            context.Relays.Return(parts);
        }
    }

    // A peer that stops reading holds the last bytes at most this long (the edge's idle timeout plays this part there).
    private static readonly TimeSpan RelayLinger = TimeSpan.FromSeconds(30);

    private static string Describe(TunnelTarget target) => target.ToString();

    private void Refused(long id, TunnelTarget target, IPEndPoint client, GatewayTargetDial dial, TunnelErrorCode error, string? failure, TimeSpan elapsed)
    {
        var denied = error == TunnelErrorCode.ForbiddenTarget;
        var reason = denied ? CloseReason.FilterDenied : CloseReason.UpstreamUnavailable;
        var detail = $"{Describe(target)}: {error}{(failure is null ? "" : " (" + failure + ")")}";
        context.Observer.OnEvent(new ConnectionEvent(id, context.Time.GetUtcNow(), denied ? Checkpoint.Outbound : Checkpoint.Close, Allowed: !denied,
            client, context.ListenEndPoint, GatewayContext.Service, Destination: dial.Destination, Rule: dial.Denied?.Rule, Reason: reason, Detail: detail, Elapsed: elapsed));
        if (denied)
        {
            // The deciding rule (or "default deny"); without a policy decision, the dialer's words.
            var why = (object?)dial.Denied ?? failure ?? "forbidden";
            if (context.DenialLog.TryEnter())
            {
                Log.StreamDenied(context.Logger, id, target, edge, client, why);
            }
            else
            {
                Log.StreamDeniedAgain(context.Logger, id, target, edge, client, why);
            }
        }
        else
        {
            Log.StreamRefused(context.Logger, id, error, target, edge, failure ?? "");
        }
    }
}
