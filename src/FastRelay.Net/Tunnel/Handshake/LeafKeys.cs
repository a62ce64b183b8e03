using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FastRelay.Tunnel.Handshake;

/// <summary>
/// The leaf key types CA mode allows and how they sign the static-key binding: ECDSA P-256 (SHA-256) or P-384 (SHA-384),
/// signatures in IEEE P1363 form (r ‖ s); RSA ≥ 2048 bits with PSS and SHA-256. Not Ed25519: .NET 10 has none.
/// </summary>
internal static class LeafKeys
{
    /// <summary>Null when the certificate's public key is allowed, else why not.</summary>
    public static string? Describe(X509Certificate2 certificate)
    {
        using var ecdsa = certificate.GetECDsaPublicKey();
        if (ecdsa is not null)
        {
            return ecdsa.KeySize is 256 or 384 ? null : $"ECDSA key of {ecdsa.KeySize} bits (P-256 or P-384 required)";
        }

        using var rsa = certificate.GetRSAPublicKey();
        if (rsa is not null)
        {
            return rsa.KeySize >= 2048 ? null : $"RSA key of {rsa.KeySize} bits (at least 2048 required)";
        }

        return $"key algorithm {certificate.PublicKey.Oid.FriendlyName ?? certificate.PublicKey.Oid.Value} is not allowed (ECDSA P-256/P-384 or RSA)";
    }

    /// <summary>Signs with the certificate's private key.</summary>
    public static byte[] Sign(X509Certificate2 certificate, byte[] message)
    {
        using var ecdsa = certificate.GetECDsaPrivateKey();
        if (ecdsa is not null)
        {
            return ecdsa.SignData(message, HashFor(ecdsa.KeySize), DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }

        using var rsa = certificate.GetRSAPrivateKey()
            ?? throw new InvalidOperationException($"certificate '{certificate.Subject}' has no usable private key");
        return rsa.SignData(message, HashAlgorithmName.SHA256, RSASignaturePadding.Pss);
    }

    /// <summary>Verifies with the certificate's public key (its type already checked by <see cref="Describe"/>).</summary>
    public static bool Verify(X509Certificate2 certificate, byte[] message, byte[] signature)
    {
        using var ecdsa = certificate.GetECDsaPublicKey();
        if (ecdsa is not null)
        {
            return ecdsa.VerifyData(message, signature, HashFor(ecdsa.KeySize), DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }

        using var rsa = certificate.GetRSAPublicKey();
        return rsa is not null && rsa.VerifyData(message, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pss);
    }

    private static HashAlgorithmName HashFor(int keySize) => keySize == 384 ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256;
}
