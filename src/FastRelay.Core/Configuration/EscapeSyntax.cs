using System.Globalization;
using System.Text;

namespace FastRelay.Configuration;

/// <summary>
/// Decodes the C-style escapes of <c>--health-send</c> and <c>--health-expect</c> into bytes: <c>\r \n \t \0 \\</c>
/// and <c>\xHH</c> (one byte); every other character is its UTF-8 encoding.
/// </summary>
public static class EscapeSyntax
{
    /// <summary>What the syntax accepts, for error messages.</summary>
    public const string Expected = @"text with the escapes \r \n \t \0 \\ and \xHH";

    /// <summary>Decodes <paramref name="text"/>; false with the reason on an unknown or cut-off escape.</summary>
    public static bool TryDecode(string text, out byte[] bytes, out string error)
    {
        ArgumentNullException.ThrowIfNull(text);
        var output = new List<byte>(text.Length);
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '\\')
            {
                var rune = Rune.GetRuneAt(text, i);
                var written = rune.EncodeToUtf8(utf8);
                output.AddRange(utf8[..written]);
                i += rune.Utf16SequenceLength - 1;
                continue;
            }

            if (i + 1 >= text.Length)
            {
                return Fail($"a '\\' at the end has nothing to escape; expected {Expected}", out bytes, out error);
            }

            var escape = text[++i];
            switch (escape)
            {
                case 'r': output.Add((byte)'\r'); break;
                case 'n': output.Add((byte)'\n'); break;
                case 't': output.Add((byte)'\t'); break;
                case '0': output.Add(0); break;
                case '\\': output.Add((byte)'\\'); break;
                case 'x' when i + 2 < text.Length && byte.TryParse(text.AsSpan(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var b):
                    output.Add(b);
                    i += 2;
                    break;
                default:
                    return Fail($"unknown escape '\\{escape}' at character {i}; expected {Expected}", out bytes, out error);
            }
        }

        bytes = [.. output];
        error = "";
        return true;
    }

    private static bool Fail(string reason, out byte[] bytes, out string error)
    {
        bytes = [];
        error = reason;
        return false;
    }
}
