using System.Net;

namespace FastRelay.Bench.Targets;

/// <summary>
/// One path under test: where the echo and the sink are reached. "direct" is the backends themselves;
/// "relay" is the relay's listeners that route to those same backends.
/// </summary>
internal sealed record BenchTarget(string Name, IPEndPoint? Echo, IPEndPoint? Sink, Tls.TlsClient? Tls = null)
{
    /// <summary>The name of the mutual-TLS relay path (a second relay process with --tls-cert/--client-ca).</summary>
    public const string MutualTlsName = "relay-mtls";

    /// <summary>The name of the tunnel path: an edge whose routes go through a gateway process (--tunnel).</summary>
    public const string TunnelName = "relay-tunnel";

    /// <summary>The name of the reference path: OpenSSL's own server with the mTLS relay's certificates (--openssl-reference).</summary>
    public const string OpenSslName = "openssl-s_server";

    /// <summary>The name of the direct path in tables, JSON and the chart.</summary>
    public const string DirectName = "direct";

    /// <summary>The name of the relay path in tables, JSON and the chart.</summary>
    public const string RelayName = "relay";
}
