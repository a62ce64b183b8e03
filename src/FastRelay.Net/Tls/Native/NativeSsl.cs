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
    private const string LibSsl = "libssl.so.3";

    /// <summary>SSL_CTRL_MODE: OR the argument into the mode; returns the new mode.</summary>
    private const int CtrlMode = 33;

    /// <summary>SSL_CTRL_SET_SESS_CACHE_MODE.</summary>
    private const int CtrlSetSessionCacheMode = 44;

    /// <summary>SSL_MODE_RELEASE_BUFFERS: free the record buffers whenever they are empty.</summary>
    public const long ModeReleaseBuffers = 0x10;

    /// <summary>SSL_SESS_CACHE_OFF.</summary>
    private const long SessionCacheOff = 0;

    /// <summary>SSL_OP_NO_TICKET: no TLS 1.2 session tickets.</summary>
    private const ulong OptionNoTicket = 0x4000;

    /// <summary>Why <see cref="Supported"/> is false ("" when it is true).</summary>
    public static string UnsupportedReason { get; private set; } = ""; // Before ContextField: FindContextField sets it.

    private static readonly FieldInfo? ContextField = FindContextField();

    /// <summary>Whether the SSL object can be reached on this runtime (Linux, .NET 10, OpenSSL 3).</summary>
    public static bool Supported => ContextField is not null;

    /// <summary>
    /// Runs <paramref name="action"/> with the stream's <c>SSL*</c>, holding a reference on its handle so a
    /// concurrent dispose cannot free it meanwhile.
    /// </summary>
    /// <returns>The action's result; <paramref name="fallback"/> when the handle is unsupported, not yet made or closed.</returns>
    public static T With<T>(SslStream stream, Func<nint, T> action, T fallback)
    {
        if (ContextField?.GetValue(stream) is not SafeHandle handle || handle.IsInvalid || handle.IsClosed)
        {
            return fallback;
        }

        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            return action(handle.DangerousGetHandle());
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

    /// <summary>The <c>SSL_CTX*</c> the stream's SSL object was made from; 0 when it cannot be reached.</summary>
    public static nint ContextOf(SslStream stream) => With(stream, SSL_get_SSL_CTX, 0);

    /// <summary>The SSL object's mode bits; 0 when it cannot be reached.</summary>
    public static long ModeOf(SslStream stream) => With(stream, static ssl => (long)SSL_ctrl(ssl, CtrlMode, 0, 0), 0L);

    /// <summary>
    /// Sets <see cref="ModeReleaseBuffers"/> on one SSL object and frees its buffers now if they are empty
    /// (for a connection whose context was not prepared).
    /// </summary>
    public static void ReleaseBuffersWhenIdle(SslStream stream) => With(stream, static ssl =>
    {
        _ = SSL_ctrl(ssl, CtrlMode, (nint)ModeReleaseBuffers, 0);
        return SSL_free_buffers(ssl); // 0 when a buffer still holds bytes: the mode frees it once drained.
    }, 0);

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
        _ = SSL_CTX_set_options(ctx, OptionNoTicket);
        return SSL_CTX_set_num_tickets(ctx, 0) == 1 ? null : "SSL_CTX_set_num_tickets(0) failed";
    }

    private static FieldInfo? FindContextField()
    {
        if (!OperatingSystem.IsLinux() || Environment.Version.Major != 10)
        {
            UnsupportedReason = $"not Linux with .NET 10 ({RuntimeInformation.OSDescription}, .NET {Environment.Version})";
            return null;
        }

        // The SSL object must come from the libssl.so.3 we call: .NET may have loaded OpenSSL 1.1 instead.
        if (SafeEvpPKeyHandle.OpenSslVersion < 0x3000_0000L || !NativeLibrary.TryLoad(LibSsl, out _))
        {
            UnsupportedReason = $".NET uses OpenSSL 0x{SafeEvpPKeyHandle.OpenSslVersion:x}, not 3.x ({LibSsl})";
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
    private static partial int SSL_free_buffers(nint ssl);

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
}
