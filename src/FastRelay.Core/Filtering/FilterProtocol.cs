namespace FastRelay.Filtering;

/// <summary>
/// The protocol of a rule (<c>Protocol</c>: TCP, UDP, ICMP or ALL) or of a request (never <see cref="All"/>).
/// </summary>
/// <remarks>
/// UDP and ICMP rules load and are listed so that users' existing files work unchanged, but a TCP relay
/// only ever asks about <see cref="Tcp"/>, so they never match (policy-format.md, "Evaluation").
/// </remarks>
internal enum FilterProtocol
{
    /// <summary>Any protocol; the default when a rule has no <c>Protocol</c>. Rules only.</summary>
    All,

    /// <summary>TCP.</summary>
    Tcp,

    /// <summary>UDP.</summary>
    Udp,

    /// <summary>ICMP (no ports).</summary>
    Icmp,
}
