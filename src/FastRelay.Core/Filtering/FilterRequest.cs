namespace FastRelay.Filtering;

/// <summary>
/// Everything one decision is taken on: the checkpoint, the five-tuple, the time, and what the relay knows
/// beyond the tuple. A struct of values and references to objects that already exist, so that asking for
/// a decision allocates nothing; pass it with <c>in</c>.
/// </summary>
/// <param name="Direction">The checkpoint: only rules of this direction are considered.</param>
/// <param name="Tuple">Addresses, destination port and protocol.</param>
/// <param name="Time">The time of the connection, for <c>TimeWindow</c> rules (from the injected TimeProvider).</param>
/// <param name="Identity">The client certificate's identity; null before the handshake or without client certificates,
/// and then no rule with an <c>Identity</c> matches.</param>
/// <param name="Service">The route the client asked for; null when not known, and then no rule with a <c>Service</c> matches.</param>
internal readonly record struct FilterRequest(
    FilterDirection Direction,
    FiveTuple Tuple,
    DateTimeOffset Time,
    ClientIdentity? Identity = null,
    string? Service = null)
{
    /// <summary>
    /// The service of a TLS connection before its handshake (the SNI name may still pick another route): every
    /// Service condition holds for it, and PolicyGate decides again with the routed service after the handshake.
    /// Not a valid service name, so no route can be called this.
    /// </summary>
    public const string AnyService = "*";
}
