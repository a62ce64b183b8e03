using FastRelay.Diagnostics;

namespace FastRelay.Observing;

/// <summary>
/// Turns connection events into <see cref="RelayMetrics"/>: accepts, closes by reason, bytes, policy
/// decisions by rule, rate-limit refusals, TLS handshake outcomes, dial and session times.
/// </summary>
/// <remarks>
/// Allocation-free (bench/FastRelay.Benchmarks <c>MetricsObserverBench</c>): tag values are strings the
/// event already references, or constants. Thread-safe, never throws (IConnectionObserver's contract).
/// Every accepted connection meets either the Accept refusal or the Inbound checkpoint exactly once, and
/// ends in exactly one denial or one Close: so accepted = Accept + Inbound events, and closed counts one
/// per connection.
/// </remarks>
internal sealed class MetricsObserver(RelayMetrics metrics) : IConnectionObserver
{
    private const string DefaultDeny = "default-deny";

    // Rule indexes as label values without formatting one per decision (groups past 64 rules format once per decision).
    private static readonly string[] RuleIndexes = [.. Enumerable.Range(0, 64).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    /// <inheritdoc />
    public void OnEvent(in ConnectionEvent e)
    {
        switch (e.Checkpoint)
        {
            case Checkpoint.Accept:
                metrics.ConnectionAccepted(e.Service);
                break;
            case Checkpoint.Inbound:
                metrics.ConnectionAccepted(e.Service);
                CountDecision(e);
                break;
            case Checkpoint.RateLimit:
                metrics.RateLimitRejected(e.Service, e.Detail == RateLimitDetail.TableFull ? "table_full" : "bucket_empty");
                break;
            case Checkpoint.Handshake:
                CountDecision(e);
                if (e.Allowed)
                {
                    metrics.TlsHandshakeCompleted(e.Service, e.Elapsed);
                }
                else if (e.Reason is CloseReason.TlsHandshakeFailed or CloseReason.ClientCertRejected)
                {
                    metrics.TlsHandshakeFailed(e.Reason.Value);
                }

                break;
            case Checkpoint.Outbound:
                CountDecision(e);
                if (e.Allowed)
                {
                    metrics.UpstreamConnected(e.Service, e.Elapsed);
                }

                break;
            case Checkpoint.Close:
                metrics.BytesRelayed(e.BytesClientToUpstream, e.BytesUpstreamToClient);
                metrics.SessionEnded(e.Service, e.Elapsed);
                break;
        }

        // Every denial ends its connection; Close is the end of one let through.
        if (!e.Allowed || e.Checkpoint == Checkpoint.Close)
        {
            metrics.ConnectionClosed(e.Reason ?? CloseReason.Completed);
        }
    }

    private void CountDecision(in ConnectionEvent e)
    {
        // Allowed without a rule means no policy is in force (or a dry run enforcing nothing): not a decision. Nor is a
        // gateway's refusal of a target (its rules; it counts it itself).
        if (e.DecidedByPeer)
        {
            return;
        }

        if (e.Rule is { } rule)
        {
            var index = rule.RuleIndex < RuleIndexes.Length ? RuleIndexes[rule.RuleIndex] : rule.RuleIndex.ToString(System.Globalization.CultureInfo.InvariantCulture);
            metrics.Decision(e.Checkpoint, rule.GroupName, index, e.Allowed);
        }
        else if (!e.Allowed && e.Reason == CloseReason.FilterDenied)
        {
            metrics.Decision(e.Checkpoint, "", DefaultDeny, allowed: false);
        }
    }
}
