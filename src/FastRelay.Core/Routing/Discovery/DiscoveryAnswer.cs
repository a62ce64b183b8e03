using System.Text;
using System.Text.Json;
using FastRelay.Configuration;

namespace FastRelay.Routing.Discovery;

/// <summary>
/// Parses a discovery endpoint's answer: JSON (<c>["10.0.0.1:443", ...]</c> or <c>{"targets": [...]}</c>) or plain
/// text (one TARGET per line, <c>#</c> starts a comment). Each entry is a <c>--route</c> TARGET:
/// <c>[tunnel:]HOST:PORT[;weight=N]</c>. An answer that is too large, malformed or empty is refused with a reason.
/// </summary>
/// <remarks>Pure and thread-safe. The answer comes from the network: nothing in it is trusted beyond these limits.</remarks>
public static class DiscoveryAnswer
{
    /// <summary>The largest answer body read; the HTTP client stops reading past it.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    /// <summary>The most targets one answer may list.</summary>
    public const int MaxTargets = 256;

    private static readonly JsonDocumentOptions JsonLimits = new() { MaxDepth = 4, CommentHandling = JsonCommentHandling.Disallow };

    /// <summary>Parses <paramref name="body"/> as JSON when <paramref name="mediaType"/> (the Content-Type's media type, or
    /// null) names JSON or the first non-blank byte is <c>[</c> or <c>{</c>, else as text.</summary>
    /// <param name="body">The answer's bytes (UTF-8).</param>
    /// <param name="mediaType">For example <c>application/json</c> or <c>text/plain</c>; null when not given.</param>
    /// <param name="allowTunnel">False when the edge has no gateway: a <c>tunnel:</c> target could not be dialled.</param>
    /// <param name="targets">The targets, in the answer's order (at least one).</param>
    /// <param name="error">Why the answer was refused.</param>
    public static bool TryParse(ReadOnlySpan<byte> body, string? mediaType, bool allowTunnel, out IReadOnlyList<TargetOptions>? targets, out string error)
    {
        targets = null;
        if (body.Length > MaxBodyBytes)
        {
            error = $"the answer is larger than {MaxBodyBytes} bytes";
            return false;
        }

        if (Utf8Text.FirstInvalidByte(body) is { } bad)
        {
            error = $"the answer is not UTF-8 text (invalid byte at offset {bad})";
            return false;
        }

        var text = Encoding.UTF8.GetString(body);
        // README: a JSON Content-Type, or a body that starts with [ or {, is JSON (test servers and frameworks often
        // send JSON as text/plain or text/html). A text answer can start with [ too, an IPv6 target ([2001:db8::7]:443):
        // JSON's [ is followed by a string or ], never by an address.
        var json = mediaType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true || LooksLikeJson(text);
        if (!(json ? TryReadJson(text, out var entries, out error) : TryReadText(text, out entries, out error)))
        {
            return false;
        }

        return TryParseTargets(entries, allowTunnel, out targets, out error);
    }

    private static bool LooksLikeJson(string text)
    {
        var body = text.AsSpan().TrimStart();
        return body is ['{', ..] || (body is ['[', ..] && body[1..].TrimStart() is [] or ['"', ..] or [']', ..]);
    }

    private static bool TryReadJson(string text, out List<string> entries, out string error)
    {
        entries = [];
        try
        {
            using var document = JsonDocument.Parse(text, JsonLimits);
            var root = document.RootElement;
            if (JsonEscapes.FindInvalid(root, "") is { Count: > 0 } unreadable)
            {
                error = $"{unreadable[0]}: {JsonEscapes.Expected}";
                return false;
            }

            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("targets", out var listed))
            {
                root = listed;
            }

            if (root.ValueKind != JsonValueKind.Array)
            {
                error = "expected a JSON array of \"HOST:PORT\" strings, or {\"targets\": [...]}";
                return false;
            }

            foreach (var item in root.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String)
                {
                    error = $"expected \"HOST:PORT\" strings in the array, found a {item.ValueKind.ToString().ToLowerInvariant()}";
                    return false;
                }

                entries.Add(item.GetString()!);
            }
        }
        catch (JsonException ex)
        {
            error = $"not valid JSON: {ex.Message}";
            return false;
        }

        error = "";
        return true;
    }

    private static bool TryReadText(string text, out List<string> entries, out string error)
    {
        entries = [];
        foreach (var raw in text.Split('\n'))
        {
            var hash = raw.IndexOf('#', StringComparison.Ordinal);
            var line = (hash >= 0 ? raw[..hash] : raw).Trim();
            if (line.Length > 0)
            {
                entries.Add(line);
            }
        }

        error = "";
        return true;
    }

    private static bool TryParseTargets(List<string> entries, bool allowTunnel, out IReadOnlyList<TargetOptions>? targets, out string error)
    {
        targets = null;
        if (entries.Count == 0)
        {
            error = "the answer lists no targets";
            return false;
        }

        if (entries.Count > MaxTargets)
        {
            error = $"the answer lists {entries.Count} targets; at most {MaxTargets} are taken";
            return false;
        }

        var parsed = new TargetOptions[entries.Count];
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i].Trim();
            if (!RouteSyntax.TryParseTarget(entry, out var target, out error))
            {
                error = $"target {i + 1} '{Shorten(entry)}': {error}";
                return false;
            }

            if (target!.ViaTunnel && !allowTunnel)
            {
                error = $"target {i + 1} '{Shorten(entry)}': a tunnel: target needs a --gateway, and this edge has none";
                return false;
            }

            parsed[i] = target;
        }

        targets = parsed;
        error = "";
        return true;
    }

    // A hostile answer must not put a 64 KiB line into the log.
    private static string Shorten(string entry) => entry.Length <= 80 ? entry : entry[..77] + "...";
}
