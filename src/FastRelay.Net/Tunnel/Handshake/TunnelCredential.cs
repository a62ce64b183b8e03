using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FastRelay.Configuration;
using FastRelay.Tunnel.Identity;

namespace FastRelay.Tunnel.Handshake;

/// <summary>
/// This side's certificate for CA mode (docs/PROTOCOL.md "CA mode"): a leaf with its private key (ECDSA P-256/P-384 or
/// RSA ≥ 2048) and optional intermediates. At each handshake the leaf key signs a fresh binding of the Noise static key,
/// valid for <see cref="BindingLifetime"/>, so static keys can rotate without a new certificate.
/// </summary>
/// <remarks>Thread-safe after construction. Disposing disposes the leaf and the intermediates.</remarks>
public sealed class TunnelCredential : IDisposable
{
    private readonly X509Certificate2 _leaf;
    private readonly X509Certificate2Collection _intermediates;

    /// <summary>Takes ownership of the certificates.</summary>
    /// <exception cref="ArgumentException">The leaf has no private key or an unsupported key type.</exception>
    public TunnelCredential(X509Certificate2 leafWithPrivateKey, X509Certificate2Collection? intermediates = null,
        TimeSpan? bindingLifetime = null)
    {
        ArgumentNullException.ThrowIfNull(leafWithPrivateKey);
        if (!leafWithPrivateKey.HasPrivateKey)
        {
            throw new ArgumentException($"certificate '{leafWithPrivateKey.Subject}' has no private key", nameof(leafWithPrivateKey));
        }

        if (LeafKeys.Describe(leafWithPrivateKey) is { } problem)
        {
            throw new ArgumentException($"certificate '{leafWithPrivateKey.Subject}': {problem}", nameof(leafWithPrivateKey));
        }

        _leaf = leafWithPrivateKey;
        _intermediates = intermediates ?? [];
        BindingLifetime = bindingLifetime ?? TimeSpan.FromHours(24);
        ChainDer = [_leaf.RawData, .. _intermediates.Select(c => c.RawData)];
        if (ChainDer.Count > IdentityPayloadCodec.MaxCertificates)
        {
            throw new ArgumentException($"at most {IdentityPayloadCodec.MaxCertificates} certificates (got {ChainDer.Count})", nameof(intermediates));
        }
    }

    /// <summary>How long each binding is valid (capped by the leaf's NotAfter). <remarks>Defaults to 24 hours.</remarks></summary>
    public TimeSpan BindingLifetime { get; }

    /// <summary>The leaf's subject, for logs.</summary>
    public string Subject => _leaf.Subject;

    /// <summary>The DER chain sent in cert_chain (leaf first).</summary>
    internal IReadOnlyList<byte[]> ChainDer { get; }

    /// <summary>Test-only: sign with this role byte instead of the real one (the "wrong role" check).</summary>
    internal byte? RoleOverride { get; set; }

    /// <summary>Loads a PEM certificate (leaf first, then intermediates) and its PEM private key; false with a named error.</summary>
    public static bool TryLoad(string certificatePath, string keyPath, out TunnelCredential? credential, out string? error)
    {
        credential = null;
        error = null;
        try
        {
            // Bounded reads (a wrong path such as /dev/zero must not be read into memory), as every PEM file.
            if (!OperatorFile.TryRead(certificatePath, OperatorFile.MaxPemBytes, "PEM", out var certificateBytes, out var problem))
            {
                error = $"{certificatePath}: {problem}";
                return false;
            }

            if (!OperatorFile.TryRead(keyPath, OperatorFile.MaxPemBytes, "PEM", out var keyBytes, out problem))
            {
                error = $"{keyPath}: {problem}";
                return false;
            }

            var certificateText = System.Text.Encoding.UTF8.GetString(certificateBytes);
            var keyText = System.Text.Encoding.UTF8.GetString(keyBytes);
            CryptographicOperations.ZeroMemory(keyBytes);
            var all = new X509Certificate2Collection();
            all.ImportFromPem(certificateText);
            if (all.Count == 0)
            {
                error = $"{certificatePath}: no PEM certificate found";
                return false;
            }

            var leaf = X509Certificate2.CreateFromPem(certificateText, keyText);
            var intermediates = new X509Certificate2Collection();
            for (var i = 1; i < all.Count; i++)
            {
                intermediates.Add(all[i]);
            }

            credential = new TunnelCredential(leaf, intermediates);
            return true;
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            error = $"{certificatePath} / {keyPath}: {e.Message}";
            return false;
        }
    }

    /// <summary>The signature and not_after for <paramref name="staticKey"/> in <paramref name="role"/>, at <paramref name="now"/>.</summary>
    internal (byte[] Signature, ulong NotAfter) SignBinding(ReadOnlySpan<byte> staticKey, byte role, DateTimeOffset now)
    {
        var until = now + BindingLifetime;
        var leafEnd = new DateTimeOffset(_leaf.NotAfter.ToUniversalTime());
        var notAfter = (ulong)Math.Max(0, Math.Min(until.ToUnixTimeSeconds(), leafEnd.ToUnixTimeSeconds()));
        var message = StaticKeyBinding.BuildMessage(staticKey, notAfter, RoleOverride ?? role);
        return (LeafKeys.Sign(_leaf, message), notAfter);
    }

    /// <summary>Disposes the certificates (and so the private key handle).</summary>
    public void Dispose()
    {
        _leaf.Dispose();
        foreach (var certificate in _intermediates)
        {
            certificate.Dispose();
        }
    }
}
