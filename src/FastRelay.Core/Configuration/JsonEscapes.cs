using System.Globalization;
using System.Text.Json;

namespace FastRelay.Configuration;

/// <summary>
/// Finds the strings and keys of a parsed JSON document whose <c>\u</c> escapes are not valid UTF-16 (an unpaired
/// surrogate such as <c>"\uD800"</c>). JsonDocument accepts them as valid JSON and only <c>GetString()</c> or
/// <c>JsonProperty.Name</c> throws, with an InvalidOperationException that is no error message; so every reader
/// of a file users write, or of an answer from the network, checks first (the raw-byte check is <see cref="Utf8Text"/>).
/// </summary>
public static class JsonEscapes
{
    /// <summary>What such a string must be instead, for the error line.</summary>
    public const string Expected = "a \\u escape that is not valid UTF-16 (an unpaired surrogate such as \\uD800); write the character itself or a high-low surrogate pair";

    /// <summary>The paths (under <paramref name="path"/>, e.g. <c>SecurityGroups[0].Name</c>) of every bad string or key; empty when there are none.</summary>
    public static List<string> FindInvalid(JsonElement element, string path)
    {
        var found = new List<string>();
        Walk(element, path, found);
        return found;
    }

    private static void Walk(JsonElement element, string path, List<string> found)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String when !Readable(element):
                found.Add(path.Length == 0 ? "(top level)" : path);
                break;
            case JsonValueKind.Object:
                var index = 0;
                foreach (var property in element.EnumerateObject())
                {
                    string name;
                    try
                    {
                        name = property.Name;
                    }
                    catch (InvalidOperationException)
                    {
                        // The key itself cannot be named: say which one it is by position.
                        name = string.Create(CultureInfo.InvariantCulture, $"(key {index + 1})");
                        found.Add(path.Length == 0 ? name : $"{path}.{name}");
                    }

                    Walk(property.Value, path.Length == 0 ? name : $"{path}.{name}", found);
                    index++;
                }

                break;
            case JsonValueKind.Array:
                var item = 0;
                foreach (var value in element.EnumerateArray())
                {
                    Walk(value, string.Create(CultureInfo.InvariantCulture, $"{path}[{item++}]"), found);
                }

                break;
        }
    }

    private static bool Readable(JsonElement value)
    {
        try
        {
            _ = value.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
