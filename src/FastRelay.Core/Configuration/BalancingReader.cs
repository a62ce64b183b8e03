namespace FastRelay.Configuration;

/// <summary>Reads <c>--health-*</c> and <c>--eject-*</c> into <see cref="BalancingOptions"/>, adding every error.</summary>
internal static class BalancingReader
{
    /// <summary>The setting names it reads.</summary>
    public static readonly string[] Names =
        ["health-check", "health-interval", "health-timeout", "health-rise", "health-fall", "health-send", "health-expect", "eject-after", "eject-time"];

    public static BalancingOptions Read(ScalarReader scalars, List<ConfigError> errors)
    {
        var options = new BalancingOptions
        {
            HealthCheck = scalars.Enum("health-check", HealthCheckKind.Off),
            HealthInterval = scalars.Duration("health-interval", BalancingOptions.DefaultHealthInterval, allowZero: false),
            HealthTimeout = scalars.Duration("health-timeout", BalancingOptions.DefaultHealthTimeout, allowZero: false),
            HealthRise = (int)scalars.Integer("health-rise", BalancingOptions.DefaultHealthRise, 1, 100),
            HealthFall = (int)scalars.Integer("health-fall", BalancingOptions.DefaultHealthFall, 1, 100),
            HealthSend = Escaped(scalars, "health-send", errors),
            HealthExpect = Escaped(scalars, "health-expect", errors),
            EjectAfter = (int)scalars.Integer("eject-after", BalancingOptions.DefaultEjectAfter, 0, 1000),
            EjectTime = scalars.Duration("eject-time", BalancingOptions.DefaultEjectTime, allowZero: false),
        };

        if (options.EjectTime > BalancingOptions.MaxEjectTime && scalars.Find("eject-time") is { } ejectTime)
        {
            errors.Add(new ConfigError(ejectTime.Origin, ejectTime.Value, $"expected at most {ValueSyntax.FormatDuration(BalancingOptions.MaxEjectTime)} (the longest ejection)"));
        }

        if (options.HealthCheck == HealthCheckKind.Off)
        {
            foreach (var name in Names.Where(n => n.StartsWith("health-", StringComparison.Ordinal) && n != "health-check"))
            {
                if (scalars.Find(name) is { } given)
                {
                    // Silently ignoring a check the user configured would leave backends unchecked they believe checked.
                    errors.Add(new ConfigError(given.Origin, given.Value, "needs --health-check tcp (active checks are off)"));
                }
            }
        }

        return options;
    }

    private static byte[]? Escaped(ScalarReader scalars, string name, List<ConfigError> errors)
    {
        if (scalars.Find(name) is not { } s)
        {
            return null;
        }

        if (!EscapeSyntax.TryDecode(s.Value, out var bytes, out var error) || bytes.Length == 0)
        {
            errors.Add(new ConfigError(s.Origin, s.Value, bytes.Length == 0 && error.Length == 0 ? "expected some text (empty sends or expects nothing: leave it out)" : error));
            return null;
        }

        return bytes;
    }
}
