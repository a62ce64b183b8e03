using System.ComponentModel;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using FastRelay.Tls.Native;

namespace FastRelay.Tls;

/// <summary>
/// One native TLS context (OpenSSL <c>SSL_CTX</c>) shared by every handshake made with a loaded server
/// certificate, with FastRelay's settings applied before the first client arrives.
/// </summary>
/// <remarks>
/// <para>Why (bench/README.md, "Memory per idle connection"): .NET on Linux shares one SSL_CTX per certificate
/// context only when no <see cref="CipherSuitesPolicy"/> is set; with the policy every connection gets its own
/// context, about 9 KiB that lives as long as the connection. Without the policy the shared context would take
/// OpenSSL's default TLS 1.2 list (CBC suites included) and turn on session tickets and a session cache.
/// .NET has no public API for either, so this class makes .NET build and cache the context with one in-process
/// warm-up handshake (no socket), then sets on it, through <see cref="NativeSsl"/>:</para>
/// <list type="bullet">
/// <item>the same AEAD-only suites as <see cref="ServerAuthentication.ModernSuites"/>;</item>
/// <item><c>SSL_MODE_RELEASE_BUFFERS</c>, as nginx does: an idle connection holds no 17 KiB read and write buffers;</item>
/// <item>no session cache and no tickets: every handshake stays a full one with the client certificate checked,
/// as before (a resumed TLS 1.3 session would skip the certificate and revocation checks).</item>
/// </list>
/// <para>Every handshake is then checked (<see cref="Check"/>): one that did not run on this context (another
/// runtime, or a context .NET made anew) is accepted only with an AEAD suite. Where the SSL object cannot be
/// reached at all, handshakes fall back to the per-connection policy.</para>
/// </remarks>
internal sealed class SharedServerContext
{
    /// <summary>The TLS 1.2 suites (OpenSSL names) of <see cref="ServerAuthentication.ModernSuites"/>.</summary>
    internal const string Tls12CipherList =
        "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:" +
        "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305";

    /// <summary>The TLS 1.3 suites (all AEAD).</summary>
    internal const string Tls13Suites = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

    private static readonly TimeSpan WarmUpTimeout = TimeSpan.FromSeconds(10);

    private SharedServerContext(nint pointer) => Pointer = pointer;

    /// <summary>The <c>SSL_CTX*</c>; owned by .NET's cache in the certificate context, which lives as long as we hold it.</summary>
    public nint Pointer { get; }

    /// <summary>
    /// Makes .NET create and cache the context for <paramref name="certificate"/> and configures it. Call once per
    /// loaded certificate, after anything else that changes how the context is built (the OCSP staple) and before
    /// any client handshake uses it.
    /// </summary>
    /// <param name="certificate">The server certificate context every handshake will use.</param>
    /// <param name="note">For the certificate's log line: "shared" or why each connection gets its own.</param>
    /// <returns>The prepared context, or null when handshakes must use the per-connection policy.</returns>
    public static SharedServerContext? TryPrepare(SslStreamCertificateContext certificate, out string note)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (!NativeSsl.Supported || ServerAuthentication.ModernSuites is null)
        {
            note = $"TLS context per connection ({(NativeSsl.Supported ? "no cipher suite policy on this platform" : NativeSsl.UnsupportedReason)})";
            return null;
        }

        try
        {
            var (serverEnd, clientEnd) = InMemoryDuplexStream.CreatePair();
            using var server = new SslStream(serverEnd, leaveInnerStreamOpen: false);
            using var client = new SslStream(clientEnd, leaveInnerStreamOpen: false);
            using var timeout = new CancellationTokenSource(WarmUpTimeout);
            var ours = certificate.TargetCertificate.RawData;
            var serverSide = server.AuthenticateAsServerAsync(ServerAuthentication.CreateShared(certificate), timeout.Token);
            var clientSide = client.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "fastrelay-warm-up.invalid",
                EnabledSslProtocols = SslProtocols.Tls13,
                RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null && presented.GetRawCertData().AsSpan().SequenceEqual(ours),
            }, timeout.Token);
            Task.WhenAll(serverSide, clientSide).GetAwaiter().GetResult();

            var pointer = NativeSsl.ContextOf(server);
            var problem = pointer == 0 ? "the warm-up handshake's SSL object could not be read" : NativeSsl.Configure(pointer, Tls12CipherList, Tls13Suites);
            if (problem is not null)
            {
                note = $"TLS context per connection ({problem})";
                return null;
            }

            note = "shared TLS context";
            return new SharedServerContext(pointer);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or OperationCanceledException or CryptographicException or Win32Exception or PlatformNotSupportedException)
        {
            note = $"TLS context per connection (warm-up handshake failed: {ex.Message})";
            return null;
        }
    }

    /// <summary>
    /// After a completed server handshake made with <paramref name="shared"/> (null: the per-connection policy):
    /// null when the connection may go on, else why it must not.
    /// </summary>
    public static string? Check(SharedServerContext? shared, SslStream stream)
    {
        if (shared is not null && NativeSsl.ContextOf(stream) == shared.Pointer)
        {
            return null; // Suites, buffers and tickets came from the prepared context.
        }

        // A context of its own: its suites came from the policy, or (a runtime that made a fresh context without
        // one) from OpenSSL's defaults, which is why the negotiated suite is checked here.
        var suite = stream.NegotiatedCipherSuite;
        if (!ServerAuthentication.IsModern(suite))
        {
            return $"the handshake negotiated {suite}, which is not one of the AEAD suites FastRelay allows";
        }

        NativeSsl.ReleaseBuffersWhenIdle(stream);
        return null;
    }
}
