using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FastRelay.Tunnel.Identity;

namespace FastRelay.Tunnel.Handshake;

/// <summary>
/// CA mode's checks of a peer identity (docs/PROTOCOL.md "CA mode"), in order; each failure is the reason logged.
/// </summary>
internal static class CertificateCheck
{
    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";

    /// <summary>Null when the identity is valid at <paramref name="now"/>, else the reason.</summary>
    public static string? Run(ReadOnlySpan<byte> remoteStatic, IdentityPayload identity, byte peerRole,
        X509Certificate2Collection roots, DateTimeOffset now, Func<IReadOnlyList<X509Certificate2>, string?>? revocationCheck = null)
    {
        if (identity.CertificateChain.Count == 0)
        {
            return "no certificate chain (is the peer in pinned mode?)";
        }

        if (identity.BindingSignature is null || identity.BindingNotAfter is null)
        {
            return "certificate without binding_sig and binding_not_after";
        }

        var certificates = new List<X509Certificate2>();
        try
        {
            foreach (var der in identity.CertificateChain)
            {
                try
                {
                    certificates.Add(X509CertificateLoader.LoadCertificate(der));
                }
                catch (CryptographicException)
                {
                    return $"certificate {certificates.Count} of the chain does not parse";
                }
            }

            var leaf = certificates[0];
            try
            {
                return CheckChain(leaf, certificates, roots, now, revocationCheck)
                    ?? CheckUsage(leaf, peerRole)
                    ?? LeafKeys.Describe(leaf)
                    ?? CheckBinding(leaf, remoteStatic, identity.BindingSignature, identity.BindingNotAfter.Value, peerRole, now);
            }
            catch (CryptographicException e)
            {
                // A certificate that parses can still break OpenSSL later: a public key it cannot decode makes the chain
                // build itself throw ("unable to get certs public key", "internal error"; found by tools/fuzz.sh handshake).
                // Any peer that completes XX can send one, so it is a rejection like any other, never an escaping exception.
                return $"certificate '{leaf.Subject}' could not be checked: {e.Message}";
            }
        }
        finally
        {
            foreach (var certificate in certificates)
            {
                certificate.Dispose();
            }
        }
    }

    private static string? CheckChain(X509Certificate2 leaf, List<X509Certificate2> certificates,
        X509Certificate2Collection roots, DateTimeOffset now, Func<IReadOnlyList<X509Certificate2>, string?>? revocationCheck)
    {
        using var chain = new X509Chain();
        // Only the configured enterprise CA(s) count, never the OS store: a public CA must not be able to mint tunnel peers.
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.ExtraStore.AddRange(certificates.Skip(1).ToArray());
        // The platform's revocation check could fetch over the network inside a handshake: off. The caller's
        // revocationCheck (CRLs it already holds) runs on the validated chain below.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        if (chain.Build(leaf))
        {
            if (revocationCheck is null)
            {
                return null;
            }

            var elements = chain.ChainElements.Select(e => e.Certificate).ToList();
            return revocationCheck(elements) is { } revoked ? $"certificate '{leaf.Subject}' rejected: {revoked}" : null;
        }

        var flags = chain.ChainStatus.Select(s => s.Status.ToString()).Distinct();
        return $"certificate '{leaf.Subject}' rejected: {string.Join(", ", flags)}";
    }

    private static string? CheckUsage(X509Certificate2 leaf, byte peerRole)
    {
        // An edge is a client and an exit is a server: the EKU for the role must be present (tunnel.md §4.2). RFC 5280
        // would let a certificate without the extension serve any use; a tunnel peer must be issued for this one, so a
        // leaf the CA made for something else (no EKU at all) is not a gateway.
        var needed = peerRole == StaticKeyBinding.InitiatorRole ? ClientAuthOid : ServerAuthOid;
        var eku = leaf.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault();
        return eku is not null && eku.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == needed)
            ? null
            : $"certificate '{leaf.Subject}' lacks the {(peerRole == StaticKeyBinding.InitiatorRole ? "clientAuth" : "serverAuth")} extended key usage{(eku is null ? " (it has no EKU extension; tunnel.md requires the role's)" : "")}";
    }

    private static string? CheckBinding(X509Certificate2 leaf, ReadOnlySpan<byte> remoteStatic, byte[] signature, ulong notAfter,
        byte peerRole, DateTimeOffset now)
    {
        var leafEnd = new DateTimeOffset(leaf.NotAfter.ToUniversalTime()).ToUnixTimeSeconds();
        if (notAfter <= (ulong)now.ToUnixTimeSeconds())
        {
            return $"static-key binding expired at {DateTimeOffset.FromUnixTimeSeconds((long)Math.Min(notAfter, 253402300799)):u}";
        }

        if (notAfter > (ulong)leafEnd)
        {
            return "static-key binding outlives its certificate";
        }

        var message = StaticKeyBinding.BuildMessage(remoteStatic, notAfter, peerRole);
        // A wrong role byte fails here too: an edge's binding cannot be replayed as an exit's.
        return LeafKeys.Verify(leaf, message, signature) ? null : "static-key binding signature invalid";
    }
}
