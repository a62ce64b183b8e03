using System.Net.Security;
using System.Reflection;

namespace FastRelay.Tls.Native;

/// <summary>
/// <see cref="SslStream.ShutdownAsync"/> (close_notify) serialized with the same stream's decryption on another
/// thread, as OpenSSL requires of calls on one <c>SSL</c> object.
/// </summary>
/// <remarks>
/// <para>Why: .NET 10 decrypts under a private lock (<c>SslStream._handshakeLock</c>, which is its
/// <c>_sslAuthenticationOptions</c> object; encryption takes it too) but makes the close_notify without it. The
/// edge sends close_notify when the upstream ends while the client may still be uploading, so its receive loop can
/// be in <c>SSL_read</c> at that moment: <c>SSL_shutdown</c> then failed with SSL_ERROR_SYSCALL ("Operation failed
/// with error - 5"), the connection was reset and the rest of the upload was lost. <c>TlsDataPathTests</c>'
/// upload-while-the-upstream-ends test failed in 3 of 3 runs without this.</para>
/// <para>How: ShutdownAsync does all its OpenSSL work synchronously (the token is made and its write started before
/// the method returns a task), so that call is made holding the lock the decryption takes. The write itself is
/// awaited outside. The lock object is read from the private field, checked by name and type, on .NET 10 only
/// (like <see cref="NativeSsl"/>); <c>SslShutdownTests</c> checks that a decryption really waits for it. Where the
/// field is missing the call is made as before, unserialized.</para>
/// </remarks>
internal static class SslShutdown
{
    private static readonly FieldInfo? LockField = FindLockField();

    /// <summary>Whether the close_notify is serialized with decryption on this runtime.</summary>
    public static bool Serialized => LockField is not null;

    /// <summary>Sends close_notify as <see cref="SslStream.ShutdownAsync"/> does, never while the stream decrypts.</summary>
    public static Task ShutdownAsync(SslStream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (LockOf(stream) is not { } gate)
        {
            return stream.ShutdownAsync();
        }

        lock (gate)
        {
            return stream.ShutdownAsync();
        }
    }

    /// <summary>The object SslStream locks around decryption, or null where it cannot be reached.</summary>
    internal static object? LockOf(SslStream stream) => LockField?.GetValue(stream);

    private static FieldInfo? FindLockField()
    {
        if (Environment.Version.Major != 10)
        {
            return null;
        }

        var field = typeof(SslStream).GetField("_sslAuthenticationOptions", BindingFlags.Instance | BindingFlags.NonPublic);
        return field?.FieldType.FullName == "System.Net.Security.SslAuthenticationOptions" ? field : null;
    }
}
