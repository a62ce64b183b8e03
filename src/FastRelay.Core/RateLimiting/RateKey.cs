namespace FastRelay.RateLimiting;

/// <summary>What <c>--rate-key</c> keys the connection buckets by (cli.md).</summary>
public enum RateKey
{
    /// <summary>The client's IP address (IPv4 and its IPv4-mapped IPv6 form are one key). The default.</summary>
    SourceIp,

    /// <summary>The client certificate identity, after the TLS handshake.</summary>
    Identity,

    /// <summary>The service (route) the connection is for.</summary>
    Service,
}
