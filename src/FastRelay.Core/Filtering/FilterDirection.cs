namespace FastRelay.Filtering;

/// <summary>The checkpoint a rule applies at (policy-format.md, "The five-tuple").</summary>
internal enum FilterDirection
{
    /// <summary>A client connects to the edge: source = client, destination = the listener's address and port.</summary>
    Inbound,

    /// <summary>The relay is about to dial an upstream: source = the original client, destination = the upstream.</summary>
    Outbound,
}
