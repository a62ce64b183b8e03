using System.Text;
using System.Text.RegularExpressions;

namespace FastRelay.Configuration;

/// <summary>
/// Hides the password of a connection string (<c>...;Password=s3cret;...</c> becomes <c>...;Password=***;...</c>) or of
/// a URL (<c>postgres://relay:s3cret@db/audit</c> becomes <c>postgres://relay:***@db/audit</c>) wherever a value is
/// echoed back: logs, and the configuration errors that name what was given.
/// </summary>
public static partial class SecretMask
{
    // Npgsql's keywords for the password and the client key's password, and their aliases.
    private static readonly string[] PasswordKeys = ["password", "pwd", "psw", "ssl password", "sslpassword"];

    /// <summary><paramref name="text"/> with the value of every password key, and a URL's password, replaced by <c>***</c>.</summary>
    public static string Mask(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = UrlPassword().Replace(text, "$1***@");
        if (!text.Contains('=', StringComparison.Ordinal))
        {
            return text;
        }

        // Split on the ';' between pairs, never on one inside a quoted value (Npgsql allows Password="a;b").
        var masked = new StringBuilder(text.Length);
        var start = 0;
        while (start <= text.Length)
        {
            var end = PairEnd(text, start);
            var part = text[start..end];
            var equals = part.IndexOf('=', StringComparison.Ordinal);

            // The key may follow a scheme ("postgres:Password=..."): only what is after the last ':' names it.
            var key = equals < 0 ? "" : part[..equals];
            key = key[(key.LastIndexOf(':') + 1)..].Trim();
            masked.Append(equals >= 0 && PasswordKeys.Any(k => k.Equals(key, StringComparison.OrdinalIgnoreCase)) ? part[..(equals + 1)] + "***" : part);
            if (end < text.Length)
            {
                masked.Append(';');
            }

            start = end + 1;
        }

        return masked.ToString();
    }

    // The index of the ';' that ends the pair starting at start (or the text's end), skipping quoted values.
    private static int PairEnd(string text, int start)
    {
        var quote = '\0';
        for (var i = start; i < text.Length; i++)
        {
            var c = text[i];
            if (quote != '\0')
            {
                quote = c == quote ? '\0' : quote;
            }
            else if (c is '"' or '\'')
            {
                quote = c;
            }
            else if (c == ';')
            {
                return i;
            }
        }

        return text.Length;
    }

    [GeneratedRegex(@"(://[^:/@\s]*:)[^@/\s]*@")]
    private static partial Regex UrlPassword();
}
