using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using FastRelay.Tls.Native;

namespace FastRelay.Tls;

/// <summary>
/// One native TLS context (OpenSSL <c>SSL_CTX</c>) shared by every handshake made with a loaded server
/// certificate, with FastRelay's settings applied before the first client arrives.
/// </summary>
/// <remarks>
/// <para>Why (bench/README.md, "Memory per idle connection"): .NET 10 on Linux shares SSL_CTX objects only when
/// no <see cref="CipherSuitesPolicy"/> is set; with the policy every connection gets its own, about 9 KiB that
/// lives as long as the connection. The shared ones sit in a process-wide cache keyed by the certificate chain's
/// thumbprints and the protocols; .NET builds them with OpenSSL's default TLS 1.2 list (CBC suites included),
/// session tickets and a session cache, and frees an entry no SSL object uses when the cache is swept. .NET has no
/// public API for any of this, so this class:</para>
/// <list type="bullet">
/// <item>makes .NET build (or find) the cached context with one in-process warm-up handshake (no socket), and
/// keeps the warm-up's server SSL object for as long as this instance lives, so the cache entry always has a user
/// and is never freed or replaced under us;</item>
/// <item>sets on it, once (a mark in the context's ex_data says it was done, so a reload of the same certificate,
/// which gets the same context while connections use it, never changes it again): the suites of
/// <see cref="ServerAuthentication.ModernSuites"/>, <c>SSL_MODE_RELEASE_BUFFERS</c> as nginx sets it (an idle
/// connection holds no 17 KiB read and write buffers), no session cache and no tickets (every handshake is a full
/// one: a resumed session would skip the client certificate and revocation checks).</item>
/// </list>
/// <para>Every handshake is then checked (<see cref="Check"/>) for what matters whatever context it ran on: an
/// allowed suite and no resumed session. Where the SSL object cannot be reached at all, handshakes use the
/// per-connection policy instead.</para>
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

    // Loads (start, file change, SIGHUP, POST /reload) may overlap: one preparation at a time, so a context is
    // never configured by two threads.
    private static readonly Lock Preparing = new();

    // The warm-up's server stream: its SSL object keeps the cached context in use, hence alive and unchanged.
    private readonly SslStream _holder;

    private SharedServerContext(nint pointer, SslStream holder)
    {
        Pointer = pointer;
        _holder = holder;
    }

    /// <summary>The <c>SSL_CTX*</c>: .NET's cached context, kept alive by this instance.</summary>
    public nint Pointer { get; }

    /// <summary>
    /// Makes .NET create (or find) the cached context for <paramref name="certificate"/> and configures it if that
    /// was not done yet. Call once per loaded certificate, after anything else that changes how the context is
    /// built (the OCSP staple), before any client handshake uses it.
    /// </summary>
    /// <param name="certificate">The server certificate context every handshake will use.</param>
    /// <param name="note">For the certificate's log line: "shared TLS context" or why each connection gets its own.</param>
    /// <returns>The prepared context, or null when handshakes must use the per-connection policy.</returns>
    public static SharedServerContext? TryPrepare(SslStreamCertificateContext certificate, out string note)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (!NativeSsl.Supported || ServerAuthentication.ModernSuites is null)
        {
            note = $"TLS context per connection ({(NativeSsl.Supported ? "no cipher suite policy on this platform" : NativeSsl.UnsupportedReason)})";
            return null;
        }

        lock (Preparing)
        {
            SslStream? server = null;
            try
            {
                server = WarmUp(certificate);
                var pointer = NativeSsl.ContextOf(server);
                if (pointer == 0)
                {
                    throw new InvalidOperationException("the warm-up handshake's SSL object could not be read");
                }

                if (!NativeSsl.IsConfigured(pointer))
                {
                    if (NativeSsl.Configure(pointer, Tls12CipherList, Tls13Suites) is { } refused)
                    {
                        throw new InvalidOperationException(refused);
                    }

                    NativeSsl.MarkConfigured(pointer);
                }

                note = "shared TLS context";
                var prepared = new SharedServerContext(pointer, server);
                server = null; // Kept by the instance.
                return prepared;
            }
#pragma warning disable CA1031 // Any failure only costs memory: handshakes fall back to the per-connection policy.
            catch (Exception ex) when (ex is not OutOfMemoryException)
#pragma warning restore CA1031
            {
                note = $"TLS context per connection (preparing the shared one failed: {ex.Message})";
                return null;
            }
            finally
            {
                server?.Dispose();
            }
        }
    }

    /// <summary>
    /// After a completed server handshake made with <paramref name="shared"/> (null: the per-connection policy):
    /// null when the connection may go on, else why it must not.
    /// </summary>
    public static string? Check(SharedServerContext? shared, SslStream stream)
    {
        // What the prepared context guarantees is checked on every connection anyway.
        var suite = stream.NegotiatedCipherSuite;
        if (!ServerAuthentication.IsModern(suite))
        {
            return $"the handshake negotiated {suite}, which is not one of the AEAD suites FastRelay allows";
        }

        // One visit to the SSL object: resumed or not, and the buffer mode for a context of its own.
        return !NativeSsl.Supported ? null : NativeSsl.AfterHandshake(stream, shared?.Pointer ?? 0) switch
        {
            true => "the client resumed a TLS session; FastRelay requires a full handshake (the client certificate is checked on every connection)",
            null => "the TLS session's state could not be read to confirm a full handshake", // Fail closed.
            false => null,
        };
    }

    // Both ends on their own threads with the synchronous API: a reload may run on a busy thread pool, and an
    // async handshake there could wait for pool threads until the timeout.
    private static SslStream WarmUp(SslStreamCertificateContext certificate)
    {
        var (serverEnd, clientEnd) = InMemoryDuplexStream.CreatePair();
        var server = new SslStream(serverEnd, leaveInnerStreamOpen: false);
        using var client = new SslStream(clientEnd, leaveInnerStreamOpen: false);
        var ours = certificate.TargetCertificate.RawData;
        var clientOptions = new SslClientAuthenticationOptions
        {
            TargetHost = "fastrelay-warm-up.invalid",
            EnabledSslProtocols = SslProtocols.Tls13,
            // Our own certificate, compared byte for byte; no chain is needed, so nothing is ever downloaded.
            CertificateChainPolicy = new X509ChainPolicy { DisableCertificateDownloads = true, RevocationMode = X509RevocationMode.NoCheck },
            RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null && presented.GetRawCertData().AsSpan().SequenceEqual(ours),
        };

        var clientSide = Side(() => client.AuthenticateAsClient(clientOptions), client);
        var serverSide = Side(() => server.AuthenticateAsServer(ServerAuthentication.CreateShared(certificate)), server);
        var deadline = Environment.TickCount64 + (long)WarmUpTimeout.TotalMilliseconds;
        var finished = serverSide.Thread.Join(Remaining(deadline)) & clientSide.Thread.Join(Remaining(deadline));
        var error = serverSide.Error ?? clientSide.Error;
        if (error is not null || !finished)
        {
            server.Dispose(); // Ends the pipes: a side still waiting sees EOF and its thread ends.
            client.Dispose();
            throw error is null
                ? new TimeoutException($"the warm-up handshake took more than {WarmUpTimeout.TotalSeconds:0} s")
                : new AuthenticationException($"warm-up handshake: {error.Message}", error);
        }

        return server;
    }

    private static TimeSpan Remaining(long deadline) => TimeSpan.FromMilliseconds(Math.Max(0, deadline - Environment.TickCount64));

    // One side of the warm-up on its own thread; a failure closes its end at once, so the other side stops waiting.
    private static WarmUpSide Side(Action authenticate, SslStream stream)
    {
        var side = new WarmUpSide();
        side.Thread = new Thread(() =>
        {
            try
            {
                authenticate();
            }
#pragma warning disable CA1031 // Reported by WarmUp on the preparing thread.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                side.Error = ex;
                stream.Dispose();
            }
        })
        { IsBackground = true, Name = "TLS context warm-up" };
        side.Thread.Start();
        return side;
    }

    private sealed class WarmUpSide
    {
        public Thread Thread { get; set; } = null!;

        public volatile Exception? Error;
    }
}
