using System.Net.Security;
using System.Security.Authentication;
using FastRelay.Configuration;
using FastRelay.Filtering;

namespace FastRelay.Tls;

/// <summary>
/// One loaded version of the TLS files: server certificate, client CA bundle and the validator built on it.
/// Immutable; a reload builds a new one and swaps it in whole (<see cref="TlsMaterialStore"/>), so a
/// handshake always sees a consistent set.
/// </summary>
internal sealed class TlsMaterial
{
    private TlsMaterial(ServerCertificate server, ClientCaBundle? clientCa, ClientCertificateValidator? validator)
    {
        Server = server;
        ClientCa = clientCa;
        Validator = validator;
    }

    /// <summary>The server certificate and its reusable context.</summary>
    public ServerCertificate Server { get; }

    /// <summary>The client CA bundle; null when client certificates are not asked for.</summary>
    public ClientCaBundle? ClientCa { get; }

    /// <summary>The client certificate checks; null without <see cref="ClientCa"/>.</summary>
    public ClientCertificateValidator? Validator { get; }

    /// <summary>Loads every file named in <paramref name="options"/>, collecting each problem (naming its file) in <paramref name="errors"/>.</summary>
    /// <returns>The material, or null when anything failed.</returns>
    public static TlsMaterial? TryLoad(TlsOptions options, TimeProvider time, bool keepChains, List<string> errors)
    {
        var before = errors.Count;
        ClientCaBundle? clientCa = null;
        if (options.ClientCaFile is { } caFile)
        {
            try
            {
                clientCa = ClientCaBundle.Load(caFile);
            }
            catch (TlsLoadException ex)
            {
                errors.Add(ex.Message);
            }
        }

        ServerCertificate? server = null;
        if (ServerCertificateLoader.ReadFiles(options, errors) is { } files)
        {
            try
            {
                // The CA names go into the CertificateRequest so that clients with several certificates pick the right one.
                var trust = clientCa is null ? null : SslCertificateTrust.CreateForX509Collection(clientCa.Certificates, sendTrustInHandshake: true);
                server = ServerCertificateLoader.TryLoad(files, options, trust, time.GetUtcNow(), errors, clientCa?.Certificates);
            }
            catch (TlsLoadException ex)
            {
                errors.Add(ex.Message);
            }
            catch (Exception ex) when (ex is AuthenticationException or System.Security.Cryptography.CryptographicException or NotSupportedException)
            {
                errors.Add($"--tls-cert {options.CertificateFile}: cannot be used as a server certificate ({ex.Message.TrimEnd('.')})");
            }
        }

        // Any problem refuses the whole set, also one a step reported without failing its own result (an unreadable
        // staple beside a certificate that loaded): never TLS without what the operator asked for.
        if (server is null || errors.Count != before || (options.ClientCaFile is not null && clientCa is null))
        {
            return null;
        }

        var validator = clientCa is null ? null
            : new ClientCertificateValidator(clientCa, new CertificateAllowList(options.AllowedCommonNames, options.AllowedSans), time, keepChains);
        return new TlsMaterial(server, clientCa, validator);
    }
}
