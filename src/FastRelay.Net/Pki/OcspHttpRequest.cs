using System.Text;

namespace FastRelay.Pki;

/// <summary>
/// The two HTTP forms of an OCSP request (RFC 6960 A.1): <c>POST</c> with the DER request as the body
/// (application/ocsp-request), and <c>GET {url}/{url-encoded base64 of the DER}</c> (what .NET's own
/// stapling and many clients send for small requests). Parsed from one HTTP/1.x request head and body.
/// </summary>
internal static class OcspHttpRequest
{
    /// <summary>Headers longer than this are refused: an OCSP request head is a few hundred bytes.</summary>
    public const int MaxHeadBytes = 16 * 1024;

    /// <summary>Bodies longer than this are refused: a request for one certificate is about 100 bytes.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    /// <summary>
    /// Parses the head (up to and including the blank line). On success gives the method, the DER request
    /// for a GET, or the body length a POST announces; otherwise the reason, for a 400 answer.
    /// </summary>
    public static bool TryParseHead(ReadOnlySpan<byte> head, out string method, out byte[]? getRequest, out int contentLength, out string error)
    {
        method = "";
        getRequest = null;
        contentLength = 0;
        var lines = Encoding.ASCII.GetString(head).Split("\r\n");
        var requestLine = lines[0].Split(' ');
        if (requestLine.Length != 3 || !requestLine[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
        {
            error = "expected an HTTP/1.x request line";
            return false;
        }

        method = requestLine[0];
        if (method == "GET")
        {
            return TryDecodeGetPath(requestLine[1], out getRequest, out error);
        }

        if (method != "POST")
        {
            error = $"method {method} not supported; use POST or GET (RFC 6960 A.1)";
            return false;
        }

        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line[..colon].Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                if (!int.TryParse(line[(colon + 1)..].Trim(), out contentLength) || contentLength is < 1 or > MaxBodyBytes)
                {
                    error = $"Content-Length must be 1..{MaxBodyBytes}";
                    return false;
                }

                error = "";
                return true;
            }
        }

        error = "POST without Content-Length (chunked bodies are not supported)";
        return false;
    }

    private const int MaxSplitTries = 16;

    private static bool TryDecodeGetPath(string target, out byte[]? request, out string error)
    {
        // RFC 6960 A.1 asks clients to URL-encode the base64, but some leave its '/' as it is (/ocsp/MEow/NDBC...): the
        // request is the suffix after some '/', the longest one that is a whole DER SEQUENCE (a base path such as "ocsp"
        // decodes to bytes that are not one). With the '/' encoded, that is the last segment, as before.
        // Only where a SEQUENCE can start (its base64 begins with 'M'), and a bounded number of tries: a path of thousands
        // of "/M" must not cost thousands of decodes of the whole rest (a real request has a few slashes at most).
        var tries = 0;
        for (var slash = target.IndexOf('/', StringComparison.Ordinal); slash >= 0 && tries < MaxSplitTries; slash = target.IndexOf('/', slash + 1))
        {
            if (slash + 1 >= target.Length || target[slash + 1] != 'M')
            {
                continue;
            }

            tries++;
            if (TryDecodeBase64(target[(slash + 1)..]) is { } bytes && IsOneDerSequence(bytes))
            {
                request = bytes;
                error = "";
                return true;
            }
        }

        // None is: the last segment's bytes, if it is base64, go to the OCSP parser, which answers malformedRequest.
        var last = target[(target.LastIndexOf('/') + 1)..];
        request = TryDecodeBase64(last);
        error = request is not null ? ""
            : last.Length == 0 ? "GET path has no OCSP request; expected /BASE64 of a DER OCSP request (RFC 6960 A.1)"
            : "GET path does not end in a base64 OCSP request";
        return request is not null;
    }

    private static byte[]? TryDecodeBase64(string text)
    {
        try
        {
            // Base64 in a path: '+', '/' and '=' arrive percent-encoded, and some clients send the URL-safe alphabet.
            var base64 = Uri.UnescapeDataString(text).Replace('-', '+').Replace('_', '/');
            base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
            return base64.Length == 0 ? null : Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    // A DER SEQUENCE whose length is exactly the rest of the bytes (short or long form).
    private static bool IsOneDerSequence(byte[] bytes)
    {
        if (bytes.Length < 2 || bytes[0] != 0x30)
        {
            return false;
        }

        if (bytes[1] < 0x80)
        {
            return bytes[1] == bytes.Length - 2;
        }

        var count = bytes[1] & 0x7F;
        if (count is 0 or > 4 || bytes.Length < 2 + count)
        {
            return false;
        }

        long length = 0;
        for (var i = 0; i < count; i++)
        {
            length = (length << 8) | bytes[2 + i];
        }

        return length == bytes.Length - 2 - count;
    }
}
