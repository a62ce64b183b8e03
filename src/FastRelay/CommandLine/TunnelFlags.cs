using FastRelay.Configuration;

namespace FastRelay.CommandLine;

/// <summary>The tunnel flags <c>fastrelay edge</c> and <c>fastrelay gateway</c> share (cli.md; README "Tunnel and gateway").</summary>
internal static class TunnelFlags
{
    public static readonly IReadOnlyList<FlagSpec> Shared =
    [
        new("tunnel-ca", "FILE", "CA mode instead of pinned keys: the enterprise CA bundle (PEM) the peer's certificate must chain to; that certificate signs the peer's static key [default: none]"),
        new("tunnel-crl", "FILE", "CA mode: a CRL (PEM or DER) signed by a CA of --tunnel-ca; a peer whose certificate (or an intermediate) it lists is refused at the handshake and closed at its next rekey. Re-read when the file changes and on SIGHUP. Repeatable [default: none]", Repeatable: true),
        new("tunnel-cert", "FILE", "CA mode: this node's certificate (PEM), issued by the CA, that binds its static key [default: none]"),
        new("tunnel-cert-key", "FILE", "CA mode: the private key of --tunnel-cert (PEM, ECDSA or RSA) [default: none]"),
        new("tunnel-max-streams", "N", $"Streams one tunnel connection carries at once; the peer refuses more (REFUSED_STREAM) and the edge's pool grows [default: {TunnelSessionOptions.DefaultMaxStreams}]"),
        new("ping-interval", "DURATION", $"Keepalive PING interval; a connection with nothing received for 3 intervals is dead, its streams are reset and the pool replaces it. From 100ms to 1m [default: {ValueSyntax.FormatDuration(TunnelSessionOptions.DefaultPingInterval)}]"),
        new("rekey-interval", "DURATION", $"In-band rekey (fresh X25519, Noise KK) when the keys are this old; 1s to 24h [default: {TunnelSessionOptions.DefaultRekeyInterval.TotalSeconds:0}s]"),
    ];
}
