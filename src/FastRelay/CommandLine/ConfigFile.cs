using System.Text.Json;
using FastRelay.Configuration;

namespace FastRelay.CommandLine;

/// <summary>
/// Reads <c>--config FILE</c>: a JSON object whose keys are flag names without the dashes
/// (<c>"listen"</c>, <c>"connect-timeout"</c>; <c>connectTimeout</c> and <c>connect_timeout</c> are read the
/// same), with a string or number for single flags and an array for repeatable ones.
/// </summary>
internal static class ConfigFile
{
    /// <summary>Reads <paramref name="path"/> into raw settings; every problem goes to <paramref name="errors"/>.</summary>
    public static List<RawSetting> Read(string path, IReadOnlyList<FlagSpec> flags, List<ConfigError> errors, IEnumerable<string>? planned = null)
    {
        if (!OperatorFile.TryRead(path, 4 << 20, "JSON", out var bytes, out var problem))
        {
            errors.Add(new ConfigError("--config", path, problem));
            return [];
        }

        return Parse(bytes, path, flags, errors, planned);
    }

    /// <summary>
    /// Parses the bytes of a config file read from <paramref name="path"/> (named in the errors) into raw
    /// settings; every problem goes to <paramref name="errors"/>. Never throws for any content (fuzzed:
    /// tests/FastRelay.Fuzz, target <c>config</c>).
    /// </summary>
    public static List<RawSetting> Parse(byte[] bytes, string path, IReadOnlyList<FlagSpec> flags, List<ConfigError> errors, IEnumerable<string>? planned = null)
    {
        var settings = new List<RawSetting>();
        if (Utf8Text.FirstInvalidByte(bytes) is { } bad)
        {
            // JsonDocument would only notice when a string is read, with an exception that is no error message.
            errors.Add(new ConfigError("--config", path, $"not valid UTF-8 text at byte {bad + 1}; save it as UTF-8"));
            return settings;
        }

        JsonDocument document;
        try
        {
            // A byte-order mark is not part of the JSON (the policy loader skips it the same way).
            document = JsonDocument.Parse(bytes.AsMemory(Utf8Text.ByteOrderMarkLength(bytes)), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            errors.Add(new ConfigError("--config", path, $"expected a JSON object: {ex.Message}"));
            return settings;
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                errors.Add(new ConfigError("--config", path, $"expected a JSON object at the top level, found {document.RootElement.ValueKind}"));
                return settings;
            }

            var file = Path.GetFileName(path);
            if (JsonEscapes.FindInvalid(document.RootElement, "") is { Count: > 0 } unreadable)
            {
                errors.AddRange(unreadable.Select(at => new ConfigError($"{file}: {at}", null, JsonEscapes.Expected)));
                return settings;
            }

            flags = [.. flags, .. (planned ?? []).Select(name => new FlagSpec(name, "VALUE", "", Repeatable: true))];
            foreach (var property in document.RootElement.EnumerateObject())
            {
                ReadProperty(file, property, flags, settings, errors);
            }
        }

        return settings;
    }

    /// <summary>Normalises a key so that <c>connect-timeout</c>, <c>connectTimeout</c> and <c>connect_timeout</c> match.</summary>
    public static string Normalize(string key) => key.Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal).ToLowerInvariant();

    private static void ReadProperty(string file, JsonProperty property, IReadOnlyList<FlagSpec> flags, List<RawSetting> settings, List<ConfigError> errors)
    {
        var origin = $"{file}: {property.Name}";
        var flag = flags.FirstOrDefault(f => Normalize(f.Name) == Normalize(property.Name));
        if (flag is null)
        {
            var known = flags.Where(f => f.Description.Length > 0).Select(f => f.Name).ToList();
            errors.Add(new ConfigError(origin, null, known.Count == 0
                ? "unknown key; this command has no flags to set (its config file can only be {})"
                : $"unknown key; expected one of {string.Join(", ", known)}"));
            return;
        }

        if (property.Value.ValueKind == JsonValueKind.Array)
        {
            if (!flag.Repeatable)
            {
                errors.Add(new ConfigError(origin, Shown(property.Value), "expected a single value, not a list"));
                return;
            }

            var index = 0;
            foreach (var item in property.Value.EnumerateArray())
            {
                AddScalar($"{origin}[{index++}]", flag, item, settings, errors);
            }

            return;
        }

        AddScalar(origin, flag, property.Value, settings, errors);
    }

    // A value that is not a scalar, as an error quotes it, with each string's passwords masked one by one: masking the
    // raw text as a whole missed a connection string that opens a list (["Password=s3cret;Host=db"] kept its
    // password, its key read as '["Password'). An object is not echoed at all: any of its keys may be a secret.
    private static string Shown(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => JsonSerializer.Serialize(SecretMask.Mask(value.GetString()!)),
        JsonValueKind.Array => "[" + string.Join(", ", value.EnumerateArray().Select(Shown)) + "]",
        JsonValueKind.Object => "{...}",
        _ => value.GetRawText(),
    };

    private static void AddScalar(string origin, FlagSpec flag, JsonElement value, List<RawSetting> settings, List<ConfigError> errors)
    {
        var text = value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
            _ => null,
        };
        if (text is null)
        {
            errors.Add(new ConfigError(origin, Shown(value), $"expected a string or number ({flag.ValueName})"));
            return;
        }

        if (text.Contains('\0', StringComparison.Ordinal))
        {
            // A command line cannot carry one; from a file it would reach file APIs that throw on it.
            errors.Add(new ConfigError(origin, text.Replace("\0", "\\u0000", StringComparison.Ordinal), $"contains a NUL character; expected {flag.ValueName}"));
            return;
        }

        settings.Add(new RawSetting(flag.Name, text, origin));
    }
}
