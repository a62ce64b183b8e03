using System.Net.Security;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace FastRelay.Tls.Native;

/// <summary>
/// The OpenSSL <c>SSL</c> object behind a server <see cref="SslStream"/>, and the few libssl calls FastRelay
/// makes on it and on its <c>SSL_CTX</c>: the settings .NET has no public API for (see <see cref="FastRelay.Tls.SharedServerContext"/>).
/// </summary>
/// <remarks>
/// The handle is read from SslStream's private <c>_securityContext</c> field: on .NET 10 / Linux it is a
/// SafeHandle over <c>SSL*</c> (<c>SafeDeleteSslContext</c>). The field is looked up once and checked by name and
/// type, the runtime must be .NET 10 and .NET's OpenSSL must be 3.x, the libssl.so.3 we call. When any check
/// fails <see cref="Supported"/> is false and nothing is called: TLS then works as .NET does it alone (like
/// <see cref="Stapling.StapledResponse"/>, which reads the same runtime's private state).
/// </remarks>
internal static partial class NativeSsl
{
    /// <summary>The libssl FastRelay calls (OpenSSL 3; checked against .NET's own at start-up).</summary>
    internal const string LibSsl = "libssl.so.3";

    /// <summary>The libcrypto FastRelay calls.</summary>
    internal const string LibCrypto = "libcrypto.so.3";

    /// <summary>SSL_CTRL_MODE: OR the argument into the mode; returns the new mode.</summary>
    private const int CtrlMode = 33;

    /// <summary>SSL_CTRL_SET_SESS_CACHE_MODE.</summary>
    private const int CtrlSetSessionCacheMode = 44;

    /// <summary>SSL_MODE_RELEASE_BUFFERS: free the record buffers whenever they are empty.</summary>
    public const long ModeReleaseBuffers = 0x10;

    /// <summary>SSL_SESS_CACHE_OFF | SSL_SESS_CACHE_NO_INTERNAL: neither store nor look up sessions (OFF alone still looks up).</summary>
    private const long SessionCacheOff = 0x300;

    /// <summary>CRYPTO_EX_INDEX_SSL_CTX (openssl/crypto.h).</summary>
    private const int ExIndexSslCtx = 1;

    /// <summary>SSL_OP_NO_TICKET: no TLS 1.2 session tickets.</summary>
    private const ulong OptionNoTicket = 1UL << 14;

    /// <summary>SSL_OP_PRIORITIZE_CHACHA: with server preference, ChaCha20-Poly1305 first when the client lists it first.</summary>
    private const ulong OptionPrioritizeChaCha = 1UL << 21;

    /// <summary>SSL_OP_CIPHER_SERVER_PREFERENCE: the server's suite order decides, not the client's.</summary>
    private const ulong OptionServerPreference = 1UL << 22;

    /// <summary>The options <see cref="Configure"/> sets.</summary>
    public const ulong ConfiguredOptions = OptionNoTicket | OptionServerPreference | OptionPrioritizeChaCha;

    /// <summary>Why <see cref="Supported"/> is false ("" when it is true).</summary>
    public static string UnsupportedReason { get; private set; } = ""; // Before ContextField: FindContextField sets it.

    private static readonly FieldInfo? ContextField = FindContextField();

    /// <summary>Whether the SSL object can be reached on this runtime (Linux, .NET 10, OpenSSL 3).</summary>
    public static bool Supported => ContextField is not null;

    /// <summary>
    /// Runs <paramref name="action"/> with the stream's <c>SSL*</c> and <paramref name="state"/>, holding a reference
    /// on its handle so a concurrent dispose cannot free it meanwhile.
    /// </summary>
    /// <returns>The action's result; <paramref name="fallback"/> when the handle is unsupported, not yet made or closed.</returns>
    public static T With<TState, T>(SslStream stream, TState state, Func<nint, TState, T> action, T fallback)
    {
        if (ContextField?.GetValue(stream) is not SafeHandle handle || handle.IsInvalid || handle.IsClosed)
        {
            return fallback;
        }

        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            return action(handle.DangerousGetHandle(), state);
        }
        catch (ObjectDisposedException)
        {
            return fallback;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>The SafeHandle over the stream's <c>SSL*</c>; null when it cannot be reached, is not made yet or is closed.</summary>
    public static SafeHandle? HandleOf(SslStream stream) =>
        ContextField?.GetValue(stream) is SafeHandle { IsInvalid: false, IsClosed: false } handle ? handle : null;

    /// <summary>As <see cref="With{TState, T}"/>, without state.</summary>
    public static T With<T>(SslStream stream, Func<nint, T> action, T fallback) => With(stream, action, static (ssl, act) => act(ssl), fallback);

    /// <summary>The <c>SSL_CTX*</c> the stream's SSL object was made from; 0 when it cannot be reached.</summary>
    public static nint ContextOf(SslStream stream) => With(stream, SSL_get_SSL_CTX, 0);

    /// <summary>The SSL object's mode bits; 0 when it cannot be reached.</summary>
    public static long ModeOf(SslStream stream) => With(stream, static ssl => (long)SSL_ctrl(ssl, CtrlMode, 0, 0), 0L);

    /// <summary>
    /// After a server handshake, in one visit to the SSL object: whether it resumed an earlier session (null when the
    /// object cannot be read), and, when it was not made from <paramref name="preparedContext"/>, sets
    /// <see cref="ModeReleaseBuffers"/> on it, so OpenSSL frees its buffers the next time they drain.
    /// (Not <c>SSL_free_buffers</c>: CVE-2024-4741 in 3.0.0-3.0.13.)
    /// </summary>
    public static bool? AfterHandshake(SslStream stream, nint preparedContext) => With(stream, preparedContext, static (ssl, prepared) =>
    {
        if (SSL_get_SSL_CTX(ssl) != prepared)
        {
            _ = SSL_ctrl(ssl, CtrlMode, (nint)ModeReleaseBuffers, 0);
        }

        return (bool?)(SSL_session_reused(ssl) != 0);
    }, null);

    /// <summary>Whether the stream's handshake resumed an earlier session; null when the SSL object cannot be read.</summary>
    public static bool? SessionReused(SslStream stream) => With<bool?>(stream, static ssl => SSL_session_reused(ssl) != 0, null);

    /// <summary>Whether <see cref="MarkConfigured"/> was called on this context.</summary>
    public static bool IsConfigured(nint ctx) => SSL_CTX_get_ex_data(ctx, ConfiguredIndex.Value) != 0;

    /// <summary>Marks a context as configured by <see cref="Configure"/>; the mark lives and dies with the context.</summary>
    public static void MarkConfigured(nint ctx)
    {
        if (SSL_CTX_set_ex_data(ctx, ConfiguredIndex.Value, 1) != 1)
        {
            throw new InvalidOperationException("SSL_CTX_set_ex_data failed");
        }
    }

    // One ex_data slot of our own on SSL_CTX (SSL_CTX_get_ex_new_index is a macro over this call).
    private static readonly Lazy<int> ConfiguredIndex = new(() =>
    {
        var index = CRYPTO_get_ex_new_index(ExIndexSslCtx, 0, 0, 0, 0, 0);
        return index >= 0 ? index : throw new InvalidOperationException("CRYPTO_get_ex_new_index failed");
    });

    /// <summary>
    /// Applies FastRelay's server settings to a context before any connection uses it: the TLS 1.2 cipher list
    /// and TLS 1.3 suites, buffers released while idle, and no session cache or tickets (every handshake is a
    /// full one, with the client certificate checked).
    /// </summary>
    /// <returns>Null on success, else what OpenSSL refused.</returns>
    public static string? Configure(nint ctx, string tls12CipherList, string tls13Suites)
    {
        if (SSL_CTX_set_cipher_list(ctx, tls12CipherList) != 1)
        {
            return $"SSL_CTX_set_cipher_list refused '{tls12CipherList}'";
        }

        if (SSL_CTX_set_ciphersuites(ctx, tls13Suites) != 1)
        {
            return $"SSL_CTX_set_ciphersuites refused '{tls13Suites}'";
        }

        _ = SSL_CTX_ctrl(ctx, CtrlMode, (nint)ModeReleaseBuffers, 0);
        _ = SSL_CTX_ctrl(ctx, CtrlSetSessionCacheMode, (nint)SessionCacheOff, 0);
        _ = SSL_CTX_set_options(ctx, ConfiguredOptions);
        unsafe
        {
            // The client's chain is verified once, by .NET's X509Chain against --client-ca (ClientCertificateValidator),
            // whose verdict decides. OpenSSL's own pass inside the handshake was overruled by .NET's callback anyway,
            // but its errors stayed queued: a chain that sent a CA named like ours with a signature OpenSSL could not
            // decode failed the handshake as "asn1 encoding routines::EVP lib", with no certificate named.
            SSL_CTX_set_cert_verify_callback(ctx, &LeaveChainToDotNet, 0);
        }

        return SSL_CTX_set_num_tickets(ctx, 0) == 1 ? null : "SSL_CTX_set_num_tickets(0) failed";
    }

    // OpenSSL's chain verification step (SSL_CTX_set_cert_verify_callback): accepted here, decided by .NET's chain
    // build and ClientCertificateValidator, which run after it for every client certificate. Never throws.
    [UnmanagedCallersOnly(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
    private static int LeaveChainToDotNet(nint storeContext, nint argument) => 1;

    private static FieldInfo? FindContextField()
    {
        try
        {
            return FindContextFieldUnguarded();
        }
#pragma warning disable CA1031 // A type initializer must not throw: TLS then works as .NET does it alone.
        catch (Exception ex) when (ex is not OutOfMemoryException)
#pragma warning restore CA1031
        {
            UnsupportedReason = $"OpenSSL could not be probed ({ex.GetType().Name}: {ex.Message})";
            return null;
        }
    }

    private static FieldInfo? FindContextFieldUnguarded()
    {
        if (!OperatingSystem.IsLinux() || Environment.Version.Major != 10)
        {
            UnsupportedReason = $"not Linux with .NET 10 ({RuntimeInformation.OSDescription}, .NET {Environment.Version})";
            return null;
        }

        // The SSL object must come from the libssl.so.3 we call: .NET may have loaded OpenSSL 1.1 instead.
        if (SafeEvpPKeyHandle.OpenSslVersion < 0x3000_0000L || !NativeLibrary.TryLoad(LibSsl, out _) || !NativeLibrary.TryLoad(LibCrypto, out _))
        {
            UnsupportedReason = $".NET uses OpenSSL 0x{SafeEvpPKeyHandle.OpenSslVersion:x}, not 3.x ({LibSsl})";
            return null;
        }

        if ((long)OpenSSL_version_num() != SafeEvpPKeyHandle.OpenSslVersion)
        {
            UnsupportedReason = $"{LibCrypto} is OpenSSL 0x{(long)OpenSSL_version_num():x}, .NET's is 0x{SafeEvpPKeyHandle.OpenSslVersion:x}";
            return null;
        }

        // With TLS resumption switched off .NET caches no context at all: each handshake would get an unprepared one.
        if ((AppContext.TryGetSwitch("System.Net.Security.DisableTlsResume", out var off) && off)
            || Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SECURITY_DISABLETLSRESUME") is "1" or "true" or "TRUE" or "True")
        {
            UnsupportedReason = "TLS resumption is switched off in .NET (DisableTlsResume), so it shares no context";
            return null;
        }

        var field = typeof(SslStream).GetField("_securityContext", BindingFlags.Instance | BindingFlags.NonPublic);
        if (field?.FieldType.FullName != "System.Net.Security.SafeDeleteSslContext" || !typeof(SafeHandle).IsAssignableFrom(field.FieldType))
        {
            UnsupportedReason = $"SslStream has no SafeDeleteSslContext _securityContext field on .NET {Environment.Version}";
            return null;
        }

        return field;
    }

    [LibraryImport(LibSsl)]
    private static partial nint SSL_ctrl(nint ssl, int cmd, nint larg, nint parg);

    [LibraryImport(LibSsl)]
    private static partial int SSL_session_reused(nint ssl);

    [LibraryImport(LibSsl)]
    private static partial int SSL_CTX_set_ex_data(nint ctx, int index, nint data);

    [LibraryImport(LibSsl)]
    private static partial nint SSL_CTX_get_ex_data(nint ctx, int index);

    [LibraryImport(LibCrypto)]
    private static partial int CRYPTO_get_ex_new_index(int classIndex, nint argl, nint argp, nint newFunc, nint dupFunc, nint freeFunc);

    [LibraryImport(LibCrypto)]
    private static partial nuint OpenSSL_version_num();

    [LibraryImport(LibSsl)]
    private static partial nint SSL_get_SSL_CTX(nint ssl);

    [LibraryImport(LibSsl)]
    private static partial nint SSL_CTX_ctrl(nint ctx, int cmd, nint larg, nint parg);

    [LibraryImport(LibSsl, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SSL_CTX_set_cipher_list(nint ctx, string list);

    [LibraryImport(LibSsl, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SSL_CTX_set_ciphersuites(nint ctx, string suites);

    [LibraryImport(LibSsl)]
    private static partial ulong SSL_CTX_set_options(nint ctx, ulong options);

    [LibraryImport(LibSsl)]
    private static partial int SSL_CTX_set_num_tickets(nint ctx, nuint tickets);

    [LibraryImport(LibSsl)]
    private static unsafe partial void SSL_CTX_set_cert_verify_callback(nint ctx, delegate* unmanaged[Cdecl]<nint, nint, int> callback, nint argument);
}
