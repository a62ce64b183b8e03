namespace FastRelay.Configuration;

/// <summary>
/// One problem with the configuration: where it is (<c>--listen</c>, or <c>edge.json: listen[1]</c>),
/// the value that was given, and what was expected.
/// </summary>
/// <param name="Path">The flag or JSON path that holds the bad value.</param>
/// <param name="Value">The value as the user wrote it; null when the value is missing.</param>
/// <param name="Expected">What would have been accepted, in words.</param>
public sealed record ConfigError(string Path, string? Value, string Expected)
{
    /// <summary>
    /// Formats the error as one line: <c>--listen 'x': expected [SERVICE@]ADDR:PORT</c>. A connection string's
    /// password is masked: errors go to consoles and CI logs.
    /// </summary>
    public override string ToString() =>
        Value is null ? $"{Path}: {Expected}" : $"{Path} '{SecretMask.Mask(Value)}': {Expected}";
}
