namespace FastRelay.Configuration;

/// <summary>
/// Thrown once at startup (or on a reload) with every configuration error found, never only the first
/// (after YARP's ConfigValidator). The exe prints <see cref="Errors"/> one per line and exits with code 2.
/// </summary>
public sealed class ConfigException : Exception
{
    /// <summary>Creates the exception from a non-empty list of errors.</summary>
    public ConfigException(IReadOnlyList<ConfigError> errors)
        : base(Format(errors))
    {
        Errors = errors;
    }

    /// <summary>Every error found, in the order the inputs were read.</summary>
    public IReadOnlyList<ConfigError> Errors { get; }

    private static string Format(IReadOnlyList<ConfigError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        ArgumentOutOfRangeException.ThrowIfZero(errors.Count);
        return string.Join(Environment.NewLine, errors);
    }
}
