using System.Security.Cryptography.X509Certificates;
using FastRelay.Configuration;
using FastRelay.Tls.Revocation;
using FastRelay.Tunnel.Handshake;
using FastRelay.Tunnel.Noise;

namespace FastRelay.Hosting;

/// <summary>Which end of a tunnel this node is (which flag names its peers' keys).</summary>
internal enum TunnelRole
{
    /// <summary>The edge: initiator; its peers are gateways (<c>--gateway-key</c>).</summary>
    Edge,

    /// <summary>The gateway: responder; its peers are edges (<c>--edge-key</c>).</summary>
    Gateway,
}

/// <summary>This node's tunnel key pair and how it authenticates its peers, loaded from the files the flags name.</summary>
internal sealed class LoadedTunnelIdentity(KeyPair localStatic, TunnelAuthentication peers, TunnelRevocation? revocation = null) : IDisposable
{
    public KeyPair LocalStatic { get; } = localStatic;

    public TunnelAuthentication Peers { get; } = peers;

    /// <summary>The CRLs of <c>--tunnel-crl</c> that <see cref="Peers"/> checks; null without any.</summary>
    public TunnelRevocation? Revocation { get; } = revocation;

    /// <summary>
    /// The reload step for SIGHUP and POST /reload: re-reads the <c>--tunnel-crl</c> files (each also reloads on its own
    /// when it changes). Null without any.
    /// </summary>
    public Func<string, (bool, string)>? ReloadStep => Revocation is not { } crls ? null : trigger =>
        crls.Reload(trigger) is var failed && failed == 0
            ? (true, "tunnel CRLs: re-read")
            : (false, $"tunnel CRLs: {failed} not re-read, the previous ones stay (errors in the log)");

    /// <summary>Zeroizes the private key and stops watching the CRL files.</summary>
    public void Dispose()
    {
        LocalStatic.Dispose();
        Revocation?.Dispose();
    }
}

/// <summary>
/// Loads <c>--tunnel-key</c> (and in CA mode <c>--tunnel-ca</c>, <c>--tunnel-cert</c>, <c>--tunnel-cert-key</c>) at
/// start, so that a missing or malformed file is a configuration error (exit 2) naming the flag and the file.
/// </summary>
internal static class TunnelIdentityLoader
{
    /// <summary>
    /// Reads <c>--tunnel-key</c> alone, for when other flags are bad and no identity can be built: its problem is
    /// still listed with theirs (cli.md: every error at once).
    /// </summary>
    private static void CheckKeyFile(string path, List<string> errors)
    {
        TunnelKeyFile.TryLoad(path, out var keyPair, out var keyError, out _);
        if (keyPair is null)
        {
            errors.Add(KeyFileError(path, keyError));
        }

        keyPair?.Dispose();
    }

    /// <summary>
    /// Checks the tunnel's files (the key; in CA mode the bundle, the certificate, its key and the CRLs) from the flags
    /// alone, for when other flags are bad: their problems are listed with the rest. Only the key file when the identity
    /// flags have problems of their own.
    /// </summary>
    public static void CheckFiles(IReadOnlyList<RawSetting> settings, TunnelRole role, List<string> errors)
    {
        if (TunnelReader.ReadIdentityAlone(settings, role == TunnelRole.Gateway ? "edge-key" : "gateway-key") is { } identity)
        {
            TryLoad(identity, role, errors, warn: false)?.Dispose();
        }
        else if (settings.LastOrDefault(s => s.Name == "tunnel-key")?.Value is { Length: > 0 } keyFile)
        {
            CheckKeyFile(keyFile, errors);
        }
    }

    // TunnelKeyFile names the file itself (keygen prints its errors alone); here the flag comes first, the path once.
    private static string KeyFileError(string path, string? error) =>
        $"--tunnel-key '{path}': {(error is not null && error.StartsWith($"tunnel key file '{path}': ", StringComparison.Ordinal) ? error[$"tunnel key file '{path}': ".Length..] : error)}";

    /// <summary>The identity, or null with one line per problem added to <paramref name="errors"/>.</summary>
    /// <param name="options">The identity flags.</param>
    /// <param name="role">Which end this node is.</param>
    /// <param name="errors">Problems, one line each.</param>
    /// <param name="warn">Print the key-permission warning (once per run: the validation pass does not).</param>
    public static LoadedTunnelIdentity? TryLoad(TunnelIdentityOptions options, TunnelRole role, List<string> errors, bool warn = true)
    {
        var before = errors.Count;
        // fastrelay keygen's format (TunnelKeyFile). A file others may read still loads, with a warning (README "Tunnel keys").
        TunnelKeyFile.TryLoad(options.KeyFile, out var keyPair, out var keyError, out var exposed);
        if (keyPair is null)
        {
            errors.Add(KeyFileError(options.KeyFile, keyError));
        }
        else if (exposed is not null && warn)
        {
            Console.Error.WriteLine($"fastrelay: warning: {exposed}");
        }

        TunnelAuthentication? peers = null;
        TunnelRevocation? revocation = null;
        if (options.CaFile is null)
        {
            peers = TunnelAuthentication.Pinned(options.PeerKeys);
        }
        else
        {
            // All loaded, so a bad CA bundle, a bad CRL and a bad certificate are listed together.
            var roots = LoadCa(options.CaFile, errors);
            if (roots is null)
            {
                CrlLoader.ReadEach(options.CrlFiles, "--tunnel-crl", errors); // Not verifiable without the CA; read at least.
            }

            revocation = roots is null ? null : LoadCrls(options.CrlFiles, roots, errors);
            var credential = LoadCredential(options, errors);
            peers = roots is not null && credential is not null
                ? TunnelAuthentication.CertificateAuthority(roots, credential, revocationCheck: revocation is null ? null : revocation.Check)
                : null;
        }

        if (errors.Count > before || keyPair is null || peers is null)
        {
            keyPair?.Dispose();
            revocation?.Dispose();
            return null;
        }

        _ = role; // Both roles load the same files; the role picks the flag names in the reader's errors.
        return new LoadedTunnelIdentity(keyPair, peers, revocation);
    }

    // Each CRL must be signed by a CA of the --tunnel-ca bundle; a file that is missing, malformed or signed by
    // another CA is an error naming --tunnel-crl and the file.
    private static TunnelRevocation? LoadCrls(IReadOnlyList<string> files, X509Certificate2Collection roots, List<string> errors)
    {
        if (files.Count == 0)
        {
            return null;
        }

        try
        {
            return TunnelRevocation.Load(files, roots);
        }
        catch (RevocationLoadException ex)
        {
            errors.AddRange(ex.Message.Split(Environment.NewLine));
            return null;
        }
    }

    private static X509Certificate2Collection? LoadCa(string path, List<string> errors)
    {
        if (!OperatorFile.TryRead(path, OperatorFile.MaxPemBytes, "PEM", out var bytes, out var problem))
        {
            errors.Add($"--tunnel-ca '{path}': {problem}");
            return null;
        }

        try
        {
            var roots = new X509Certificate2Collection();
            roots.ImportFromPem(System.Text.Encoding.UTF8.GetString(bytes));
            if (roots.Count == 0)
            {
                errors.Add($"--tunnel-ca '{path}': no PEM certificate in the file");
                return null;
            }

            return roots;
        }
        catch (System.Security.Cryptography.CryptographicException ex)
        {
            errors.Add($"--tunnel-ca '{path}': cannot read a PEM CA bundle: {ex.Message}");
            return null;
        }
    }

    private static TunnelCredential? LoadCredential(TunnelIdentityOptions options, List<string> errors)
    {
        if (TunnelCredential.TryLoad(options.CertificateFile!, options.CertificateKeyFile!, out var credential, out var error))
        {
            return credential;
        }

        errors.Add($"--tunnel-cert '{options.CertificateFile}' / --tunnel-cert-key '{options.CertificateKeyFile}': {error}");
        return null;
    }
}
