namespace FastRelay.Configuration;

/// <summary>
/// Hides the password of a connection string (<c>...;Password=s3cret;...</c> becomes <c>...;Password=***;...</c>)
/// wherever a value is echoed back: logs, and the configuration errors that name what was given.
/// </summary>
public static class SecretMask
{
    // Npgsql's keyword for the password and its aliases.
    private static readonly string[] PasswordKeys = ["password", "pwd", "psw"];

    /// <summary><paramref name="text"/> with the value of every password key replaced by <c>***</c>.</summary>
    public static string Mask(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.Contains('=', StringComparison.Ordinal))
        {
            return text;
        }

        return string.Join(';', text.Split(';').Select(part =>
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0)
            {
                return part;
            }

            // The key may follow a scheme ("postgres:Password=..."): only what is after the last ':' names it.
            var key = part[..equals];
            key = key[(key.LastIndexOf(':') + 1)..].Trim();
            return PasswordKeys.Any(k => k.Equals(key, StringComparison.OrdinalIgnoreCase)) ? part[..(equals + 1)] + "***" : part;
        }));
    }
}
