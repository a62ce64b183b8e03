using System.Globalization;
using System.Text.Json;
using FastRelay.Configuration;

namespace FastRelay.Filtering;

/// <summary>
/// The properties of one JSON object of the policy, keyed by their canonical names: keys match
/// case-insensitively (policy-format.md), and unknown or repeated keys are errors, so a typo such as
/// <c>"SoruceIP"</c> is reported rather than silently widening a rule. Every problem goes to the shared error
/// list with its JSON path; reading goes on so that all errors are found in one pass.
/// </summary>
internal sealed class JsonFields
{
    private readonly Dictionary<string, JsonElement> _values = new(StringComparer.Ordinal);
    private readonly List<ConfigError> _errors;

    private JsonFields(string path, List<ConfigError> errors)
    {
        Path = path;
        _errors = errors;
    }

    /// <summary>The JSON path of the object, e.g. <c>SecurityGroups[1].Rules[0]</c>; empty at the top level.</summary>
    public string Path { get; }

    /// <summary>Reads <paramref name="element"/>, which must be an object with keys among <paramref name="known"/>.</summary>
    public static JsonFields Read(JsonElement element, string path, IReadOnlyList<string> known, List<ConfigError> errors)
    {
        var fields = new JsonFields(path, errors);
        if (element.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new ConfigError(path.Length == 0 ? "(top level)" : path, Shorten(element), "expected a JSON object { ... }"));
            return fields;
        }

        foreach (var property in element.EnumerateObject())
        {
            var name = known.FirstOrDefault(k => string.Equals(k, property.Name, StringComparison.OrdinalIgnoreCase));
            if (name is null)
            {
                errors.Add(new ConfigError(fields.PathOf(property.Name), null, $"unknown key; expected one of {string.Join(", ", known)}"));
            }
            else if (!fields._values.TryAdd(name, property.Value))
            {
                errors.Add(new ConfigError(fields.PathOf(property.Name), null, "given more than once (keys are case-insensitive); give it once"));
            }
        }

        return fields;
    }

    /// <summary>The path of the key <paramref name="name"/> in this object.</summary>
    public string PathOf(string name) => Path.Length == 0 ? name : $"{Path}.{name}";

    /// <summary>True when the key is present (whatever its value).</summary>
    public bool Has(string name) => _values.ContainsKey(name);

    /// <summary>The value of the key, if present.</summary>
    public bool TryGet(string name, out JsonElement value) => _values.TryGetValue(name, out value);

    /// <summary>Adds an error about the key <paramref name="name"/>.</summary>
    public void Error(string name, string? value, string expected) => _errors.Add(new ConfigError(PathOf(name), value, expected));

    /// <summary>Adds an error at a full path (an item of a list under this object).</summary>
    public void ErrorAt(string path, string? value, string expected) => _errors.Add(new ConfigError(path, value, expected));

    /// <summary>The string value of the key; null (with an error if <paramref name="required"/> or not a string) otherwise.</summary>
    public string? String(string name, bool required = false)
    {
        if (!_values.TryGetValue(name, out var value))
        {
            if (required) Error(name, null, "required");
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            Error(name, Shorten(value), "expected a string");
            return null;
        }

        return value.GetString()!;
    }

    /// <summary>A string or number value as text (ports and priorities are written both ways).</summary>
    /// <summary>An optional boolean (<c>true</c>/<c>false</c>, or the strings "true"/"false" in any case); null when absent or bad (the error is recorded).</summary>
    public bool? Boolean(string name)
    {
        if (!TryGet(name, out var value))
        {
            return null;
        }

        switch (value.ValueKind)
        {
            case JsonValueKind.True: return true;
            case JsonValueKind.False: return false;
            case JsonValueKind.String when bool.TryParse(value.GetString(), out var parsed): return parsed;
            default:
                Error(name, value.ValueKind == JsonValueKind.String ? value.GetString() : Shorten(value), "expected true or false");
                return null;
        }
    }

    public string? Scalar(string name)
    {
        if (!_values.TryGetValue(name, out var value))
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.Number)
        {
            return value.GetRawText();
        }

        return String(name);
    }

    /// <summary>One string or an array of strings, each with its own path; null when absent or malformed.</summary>
    public List<(string Path, string Value)>? Strings(string name) =>
        _values.TryGetValue(name, out var value) ? StringsOf(value, PathOf(name), _errors) : null;

    /// <summary>A value that must be one string or an array of strings; null (with an error) otherwise.</summary>
    public static List<(string Path, string Value)>? StringsOf(JsonElement value, string path, List<ConfigError> errors)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            return [(path, value.GetString()!)];
        }

        if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.String))
        {
            errors.Add(new ConfigError(path, Shorten(value), "expected a string or an array of strings"));
            return null;
        }

        return [.. value.EnumerateArray().Select((v, i) => (string.Create(CultureInfo.InvariantCulture, $"{path}[{i}]"), v.GetString()!))];
    }

    /// <summary>The JSON text of a value, cut to a readable length for an error line.</summary>
    public static string Shorten(JsonElement value)
    {
        var text = value.GetRawText();
        return text.Length <= 60 ? text : text[..57] + "...";
    }
}
