using System.Net.Security;
using System.Reflection;

namespace FastRelay.Tls.Stapling;

/// <summary>
/// Makes an <see cref="SslStreamCertificateContext"/> staple an OCSP response we supply (<c>--ocsp-staple FILE</c>).
/// </summary>
/// <remarks>
/// <para>
/// .NET has no public API for this (checked against dotnet/runtime main, SslStreamCertificateContext.Linux.cs):
/// on Linux the context only staples what it downloads itself from the certificate's AIA URL
/// (<c>offline: false</c>); <c>offline: true</c> forbids stapling altogether. What is missing is a public
/// setter such as <c>SslStreamCertificateContext.SetOcspResponse(ReadOnlyMemory&lt;byte&gt;)</c>, or a
/// per-connection hook for the stapled bytes.
/// </para>
/// <para>
/// So this writes the runtime's private fields by reflection, the same state its own download leaves
/// behind: <c>_ocspResponse</c> (the DER), <c>_ocspExpiration</c> (nextUpdate), <c>_nextDownload</c>
/// (never: the file is the only source), <c>_ocspUrls</c> (an empty list: non-null is what makes the
/// runtime install OpenSSL's status callback when it builds the SSL_CTX, empty means it can never fetch),
/// and <c>_staplingForbidden</c> (false). Each handshake then calls the runtime's own
/// <c>GetOcspResponseNoWaiting()</c> and <c>SSL_set_tlsext_status_ocsp_resp</c> with our bytes.
/// Verified on .NET 10.0.12 / Linux / OpenSSL 3.0 with <c>openssl s_client -status</c> (tests:
/// OcspStaplingTests). If a runtime lacks any of these fields with these types, <see cref="TryAttach"/>
/// fails with a message saying so instead of guessing; the relay then refuses to start with FILE.
/// </para>
/// <para>
/// Call it before the first handshake on the context (the SSL_CTX, and whether it has the status callback,
/// is built then and cached); later calls (a new file) just replace the bytes. Not for Windows or macOS,
/// where SslStream's stapling works differently.
/// </para>
/// </remarks>
internal static class StapledResponse
{
    private const BindingFlags Private = BindingFlags.Instance | BindingFlags.NonPublic;

    private static readonly Lazy<Fields?> RuntimeFields = new(FindFields);

    /// <summary>
    /// Sets <paramref name="der"/> (already validated: see <see cref="OcspStapleValidator"/>) as the response
    /// <paramref name="context"/> staples, until <paramref name="nextUpdate"/>; null <paramref name="der"/> stops stapling.
    /// </summary>
    /// <returns>False with <paramref name="error"/> when this runtime or platform does not allow it.</returns>
    public static bool TryAttach(SslStreamCertificateContext context, byte[]? der, DateTimeOffset nextUpdate, out string error)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!OperatingSystem.IsLinux())
        {
            error = "--ocsp-staple FILE works on Linux only (it sets .NET's OpenSSL stapling state); use auto or off here";
            return false;
        }

        if (RuntimeFields.Value is not { } fields)
        {
            error = $"--ocsp-staple FILE is not supported on this .NET runtime ({Environment.Version}): SslStreamCertificateContext no longer has the private fields FastRelay sets (_ocspResponse, _ocspExpiration, _nextDownload, _ocspUrls, _staplingForbidden, _pendingDownload). Use --ocsp-staple auto or off, or a runtime FastRelay was tested with (.NET 10)";
            return false;
        }

        // A fetch the runtime started at Create (offline: false) would overwrite our bytes when it lands:
        // take away its URLs first (its loop re-reads the list), then let it finish.
        fields.Urls.SetValue(context, new List<string>());
        if (fields.Pending.GetValue(context) is Task pending)
        {
            // Bounded: the runtime's own fetch has no timeout. Whatever it returns is replaced below.
            _ = pending.Wait(TimeSpan.FromSeconds(2));
        }

        fields.Forbidden.SetValue(context, false);
        fields.Response.SetValue(context, der);
        fields.Expiration.SetValue(context, der is null ? DateTimeOffset.MaxValue : nextUpdate);
        fields.NextDownload.SetValue(context, DateTimeOffset.MaxValue);
        error = "";
        return true;
    }

    private static Fields? FindFields()
    {
        var type = typeof(SslStreamCertificateContext);
        FieldInfo? Field(string name, Type fieldType) =>
            type.GetField(name, Private) is { } f && f.FieldType == fieldType ? f : null;

        var forbidden = Field("_staplingForbidden", typeof(bool));
        var response = Field("_ocspResponse", typeof(byte[]));
        var expiration = Field("_ocspExpiration", typeof(DateTimeOffset));
        var nextDownload = Field("_nextDownload", typeof(DateTimeOffset));
        var urls = Field("_ocspUrls", typeof(List<string>));
        var pending = Field("_pendingDownload", typeof(Task<byte[]?>));
        return forbidden is null || response is null || expiration is null || nextDownload is null || urls is null || pending is null
            ? null
            : new Fields(forbidden, response, expiration, nextDownload, urls, pending);
    }

    private sealed record Fields(FieldInfo Forbidden, FieldInfo Response, FieldInfo Expiration, FieldInfo NextDownload, FieldInfo Urls, FieldInfo Pending);
}
