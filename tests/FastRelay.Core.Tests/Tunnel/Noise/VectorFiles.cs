using System.Text.Json;

namespace FastRelay.Tunnel.Noise;

/// <summary>Reads the shared vector files copied next to the tests (Tunnel/Vectors, see SOURCES.md there).</summary>
internal static class VectorFiles
{
    public static string PathOf(string relative) => Path.Combine(AppContext.BaseDirectory, "Tunnel", "Vectors", relative);

    public static JsonDocument Json(string relative) => JsonDocument.Parse(File.ReadAllText(PathOf(relative)));

    /// <summary>Blocks of <c>KEY = VALUE</c> lines separated by blank lines or COUNT lines (pyca format).</summary>
    public static List<Dictionary<string, string>> KeyValueBlocks(string relative)
    {
        var blocks = new List<Dictionary<string, string>>();
        Dictionary<string, string>? current = null;
        foreach (var raw in File.ReadLines(PathOf(relative)))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var eq = line.IndexOf('=', StringComparison.Ordinal);
            var key = line[..eq].Trim();
            var value = line[(eq + 1)..].Trim();
            if (key == "COUNT")
            {
                current = new Dictionary<string, string>(StringComparer.Ordinal);
                blocks.Add(current);
            }

            current![key] = value;
        }

        return blocks;
    }

    public static byte[] Hex(string value) => Convert.FromHexString(value);

    public static byte[] Hex(JsonElement element, string name)
        => element.TryGetProperty(name, out var value) ? Convert.FromHexString(value.GetString()!) : [];
}
