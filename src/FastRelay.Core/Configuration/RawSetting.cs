namespace FastRelay.Configuration;

/// <summary>
/// One setting as the user wrote it, before parsing: a flag occurrence or a config-file value.
/// </summary>
/// <param name="Name">The flag name without dashes, lower case (<c>listen</c>, <c>connect-timeout</c>).</param>
/// <param name="Value">The text given.</param>
/// <param name="Origin">Where it came from, for errors: <c>--listen</c> or <c>edge.json: listen[1]</c>.</param>
public sealed record RawSetting(string Name, string Value, string Origin);
