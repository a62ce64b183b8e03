using System.Net;
using System.Net.Sockets;
using FastRelay.Configuration;
using FastRelay.Diagnostics;
using FastRelay.Observing;
using FastRelay.RateLimiting;
using FastRelay.Tls;
using FastRelay.Tls.Native;

namespace FastRelay.Relaying;

internal sealed partial class RelayedConnection
{
    // Created on first use and kept with the pooled connection: about 1 KiB (two pipes, the handshake state)
    // that a plain edge's idle connections do not carry (bench/README.md, "Hostile input and memory").
    private TlsPipeConnection TlsClient => _tlsClient ??= new TlsPipeConnection(_pipeOptions);

    private TlsHandshake Handshake => _handshake ??= new TlsHandshake();

    /// <summary>
    /// Step 1c: the TLS handshake and what depends on it. Returns null to go on (with <c>_service</c> set to the
    /// SNI route and the identity recorded), or the close reason after closing the client and reporting why:
    /// one event, one log line.
    /// </summary>
    private async Task<CloseReason?> HandshakeAsync(Socket client, ListenerOptions listener, EdgeContext context, IPEndPoint? clientEndPoint, IPEndPoint? localEndPoint)
    {
        var started = context.Time.GetTimestamp();
        var stream = TlsClient.Attach(client);
        _handshaking = true;
        var outcome = _relay.Reason is null
            ? await Handshake.RunAsync(stream, context.Tls!, context.Sni!, listener.Service, context.Time)
            : HandshakeOutcome.Failed("closed before the handshake"); // Drain started while we were on our way.
        _handshaking = false;
        var elapsed = context.Time.GetElapsedTime(started);
        var verdict = Handshake.Verdict;
        _identity = verdict?.Identity;
        _certificateSha256 = verdict?.Sha256;
        var service = Handshake.Service ?? listener.Service;
        if (!outcome.Succeeded)
        {
            return await RefuseAsync(outcome.Reason!.Value, outcome.Detail!, null, null);
        }

        // The identity rate key: only known now (the other keys were decided before the handshake).
        if (context.RateLimit is { IsIdentityKeyed: true } rateLimit)
        {
            var key = _identity?.RateKey ?? _certificateSha256 ?? clientEndPoint?.Address.ToString() ?? "";
            if (rateLimit.DecideIdentity(key) is var rate && rate != RateDecision.Allowed)
            {
                return await RefuseAsync(CloseReason.RateLimited, RateLimitDetail.For(rate), Checkpoint.RateLimit, null);
            }
        }

        // The Inbound rules again, now with the identity and the SNI route, so Identity and Service rules decide.
        var inbound = clientEndPoint is not null && localEndPoint is not null && context.Policy.IsFiltering
            ? context.Policy.CheckAfterHandshake(clientEndPoint.Address, localEndPoint, service, _identity, Id, count: !_inboundCounted)
            : null;
        if (inbound is { IsAllowed: false } denied)
        {
            _ = await RefuseAsync(CloseReason.FilterDenied, denied.ToString(), null, denied.Rule);
            return CloseReason.FilterDenied;
        }

        _service = service;
        context.Observer.OnEvent(new ConnectionEvent(Id, context.Time.GetUtcNow(), Checkpoint.Handshake, Allowed: true, clientEndPoint, localEndPoint,
            service, Rule: _inboundFinal ? null : inbound?.Rule, Identity: _identity, CertificateSha256: _certificateSha256, Detail: Handshake.ServerName, Elapsed: elapsed));
        // The same two fields (Identity, CertificateSha256) with or without client certificates, for JSON log readers.
        Log.HandshakeCompleted(context.Logger, Id, stream.SslProtocol, stream.NegotiatedCipherSuite, Handshake.ServerName ?? None, service,
            _identity ?? (object)"not asked for (no --client-ca)", _certificateSha256 ?? "-", elapsed.TotalMilliseconds);
        return null;

        async Task<CloseReason?> RefuseAsync(CloseReason reason, string detail, Checkpoint? checkpoint, Filtering.FilterRule? rule)
        {
            _relay.TryClose(reason);
            reason = _relay.Reason ?? reason; // Shutdown, if the drain ended the handshake.
            await CloseUnrelayedAsync(client, context);
            context.Observer.OnEvent(new ConnectionEvent(Id, context.Time.GetUtcNow(), checkpoint ?? Checkpoint.Handshake, Allowed: false, clientEndPoint, localEndPoint,
                service, Rule: rule, Identity: _identity, CertificateSha256: _certificateSha256, Reason: reason, Detail: detail,
                Elapsed: checkpoint is null ? elapsed : TimeSpan.Zero)); // A rate_limit row has no duration (README, duration_ms).
            if (context.HandshakeLog.TryEnter())
            {
                Log.HandshakeRefused(context.Logger, Id, reason, clientEndPoint, Handshake.ServerName ?? None, _identity ?? (object)None, detail);
            }
            else
            {
                Log.HandshakeRefusedAgain(context.Logger, Id, reason, clientEndPoint, Handshake.ServerName ?? None, _identity ?? (object)None, detail);
            }

            return reason;
        }
    }

    private const string None = "(none)";

    /// <summary>Closes a client whose relay never started: with TLS, the stream and socket (gracefully); else the socket.</summary>
    private async Task CloseUnrelayedAsync(Socket client, EdgeContext context)
    {
        if (context.Tls is null)
        {
            client.Dispose();
            return;
        }

        // A graceful end of the TLS stream where the handshake finished (close_notify, then FIN), so the
        // client sees a clean EOF; after a failed handshake, the socket is just closed.
        if (TlsClient.Stream is { IsAuthenticated: true } stream)
        {
            try
            {
                await SslShutdown.ShutdownAsync(stream).WaitAsync(TimeSpan.FromSeconds(1), context.Time);
            }
#pragma warning disable CA1031 // Whatever failed (the client is gone or not reading, or OpenSSL's internal SslException after an alert), the close below still ends the connection.
            catch (Exception ex) when (ex is not OutOfMemoryException)
#pragma warning restore CA1031
            {
            }
        }

        _ = await TlsClient.CloseAsync(TimeSpan.Zero); // No loops ran: nothing can be left unsent.
    }
}
