using System.Net;
using FastRelay.Filtering;

namespace FastRelay.Filtering;

/// <summary>
/// The security-group checkpoints of a running relay: the current compiled policy behind one volatile
/// reference (swapped whole on a reload; readers never lock), its decisions counted per rule.
/// </summary>
/// <remarks>
/// Without a policy (<c>--policy</c> not given) every connection is allowed, as before the policy existed;
/// with one, no matching rule means Deny (policy-format.md). Thread-safe; a decision allocates nothing.
/// </remarks>
public sealed class PolicyGate
{
    private readonly TimeProvider _time;
    private readonly DryRunObserver? _onDryRunDifference;
    private volatile PolicySnapshot? _current;
    private int _version;

    /// <summary>Creates a gate; <paramref name="policy"/> null means no filtering.</summary>
    internal PolicyGate(SecurityPolicy? policy, TimeProvider time, DryRunObserver? onDryRunDifference = null)
    {
        _time = time;
        _onDryRunDifference = onDryRunDifference;
        if (policy is not null)
        {
            Replace(policy);
        }
    }

    /// <summary>How many policies have been installed (1 after start with a policy; +1 per successful reload).</summary>
    public int Version => Volatile.Read(ref _version);

    /// <summary>True when a policy is installed.</summary>
    public bool IsFiltering => _current is not null;

    /// <summary>Compiles <paramref name="policy"/> and makes it the one decisions use. Established connections are not re-checked.</summary>
    internal void Replace(SecurityPolicy policy)
    {
        // Compile before the swap: the accept path never waits for a build.
        _current = new PolicySnapshot(new CompiledRuleSet(policy));
        Interlocked.Increment(ref _version);
    }

    /// <summary>The Inbound checkpoint: a client connecting to a listener. Null when no policy is installed (allowed).</summary>
    internal FilterDecision? CheckInbound(IPAddress client, IPEndPoint listener, string service, long connectionId = 0) =>
        Decide(connectionId, FilterDirection.Inbound, client, listener.Address, listener.Port, service, null, out _);

    /// <summary>
    /// The Inbound checkpoint of a TLS listener, before the handshake: the identity (<see cref="ClientIdentity.Unknown"/>
    /// with client certificates) and the route (<see cref="FilterRequest.AnyService"/>, as SNI may pick it) are not
    /// known yet, so every Identity and Service condition is taken to hold. A denial is final when
    /// <see cref="IsFinalBeforeHandshake"/> says so; otherwise <see cref="CheckAfterHandshake"/> decides.
    /// </summary>
    /// <remarks>
    /// Only a final decision is counted (rule hits) and compared with a dry run; a tentative one is the after-handshake
    /// check's to count, so each connection counts once and under the rule that really decided it. <c>counted</c> says
    /// which: false for a tentative decision, and then <see cref="CheckAfterHandshake"/> counts.
    /// </remarks>
    internal FilterDecision? CheckInboundBeforeHandshake(IPAddress client, IPEndPoint listener, bool clientCertificates, out bool counted, long connectionId = 0) =>
        Decide(connectionId, FilterDirection.Inbound, client, listener.Address, listener.Port, FilterRequest.AnyService, clientCertificates ? ClientIdentity.Unknown : null,
            out counted, beforeHandshake: true);

    /// <summary>
    /// True when a decision of <see cref="CheckInboundBeforeHandshake"/> holds whatever the identity and route turn
    /// out to be: it came from a rule without Identity and Service conditions (or the default deny), and with
    /// every such condition taken to hold no earlier rule matched, so none can match later either.
    /// </summary>
    internal static bool IsFinalBeforeHandshake(FilterDecision decision) =>
        decision.Rule is not { } rule || (rule.Identity.Count == 0 && rule.Service is null);

    /// <summary>
    /// The identity checkpoint, after the TLS handshake: the Inbound rules again, now with the client
    /// certificate's identity, so rules with an <c>Identity</c> can match (before it, they never do).
    /// Null when no policy is installed. The TLS listener (issue 3) calls this once per handshake.
    /// </summary>
    /// <remarks><c>count</c> false: the before-handshake decision was final and counted already (<see cref="IsFinalBeforeHandshake"/>);
    /// the check still runs (a reload may have come in between) but is not counted twice.</remarks>
    internal FilterDecision? CheckAfterHandshake(IPAddress client, IPEndPoint listener, string service, ClientIdentity? identity, long connectionId = 0, bool count = true) =>
        Decide(connectionId, FilterDirection.Inbound, client, listener.Address, listener.Port, service, identity, out _, count);

    /// <summary>
    /// The Outbound checkpoint: before the relay dials <paramref name="upstream"/> for <paramref name="client"/>, with
    /// the client certificate's <paramref name="identity"/> where the caller has one (the TLS edge; the gateway does not
    /// learn it, so its Identity rules never match). Null when no policy is installed.
    /// </summary>
    internal FilterDecision? CheckOutbound(IPAddress client, IPEndPoint upstream, string service, long connectionId = 0, ClientIdentity? identity = null) =>
        Decide(connectionId, FilterDirection.Outbound, client, upstream.Address, upstream.Port, service, identity, out _);

    /// <summary>Decisions so far by rule label ("Inbound-Proxy rule 0", or "default deny"), for the current policy.</summary>
    public IReadOnlyDictionary<string, long> Hits => _current?.Hits() ?? new Dictionary<string, long>();

    private FilterDecision? Decide(long connectionId, FilterDirection direction, IPAddress source, IPAddress destination, int port, string service,
        ClientIdentity? identity, out bool counted, bool count = true, bool beforeHandshake = false)
    {
        counted = false;
        if (_current is not { } snapshot)
        {
            return null;
        }

        var request = new FilterRequest(direction, FiveTuple.Create(source, destination, port), _time.GetUtcNow(), identity, service);
        var decision = snapshot.Rules.Decide(request);
        if (ReferenceEquals(snapshot.Enforced, snapshot.Rules))
        {
            if (count && (!beforeHandshake || IsFinalBeforeHandshake(decision)))
            {
                snapshot.Count(decision);
                counted = true;
            }

            return decision;
        }

        // Part of the policy is a dry run: the whole policy's decision is counted and, when it differs from what
        // is enforced, logged; the enforced rules decide. Before the handshake, only when both are final, or when the
        // enforced one is a final denial: the connection ends here, and no later check will count it.
        var enforced = snapshot.Enforced?.Decide(request);
        var endsHere = enforced is { IsAllowed: false } denial && IsFinalBeforeHandshake(denial);
        if (!count || (beforeHandshake && !endsHere && !(IsFinalBeforeHandshake(decision) && (enforced is not { } e || IsFinalBeforeHandshake(e)))))
        {
            return enforced;
        }

        snapshot.Count(decision);
        counted = true;
        if (enforced?.Action != decision.Action)
        {
            _onDryRunDifference?.Invoke(connectionId, request, decision, enforced);
        }

        return enforced;
    }
}

/// <summary>
/// Told when a dry-run part of the policy decides differently from what is enforced (for the log): the
/// connection id (0 when the caller gave none), the request, the whole policy's decision, and the enforced
/// one (null: nothing enforced, allowed).
/// </summary>
internal delegate void DryRunObserver(long connectionId, in FilterRequest request, FilterDecision wouldBe, FilterDecision? enforced);
