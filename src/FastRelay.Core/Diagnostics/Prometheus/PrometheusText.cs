using System.Globalization;
using System.Text;

namespace FastRelay.Diagnostics.Prometheus;

/// <summary>
/// The Prometheus text exposition format 0.0.4: metric names, label and HELP escaping, numbers.
/// See https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format.
/// </summary>
internal static class PrometheusText
{
    /// <summary>The Content-Type of a scrape response.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>
    /// The Prometheus name of an instrument, after the OpenTelemetry mapping: dots become underscores, the
    /// unit "s" adds <c>_seconds</c> and "By" <c>_bytes</c> (unless the name ends so already), counters end in <c>_total</c>.
    /// </summary>
    public static string MetricName(string instrumentName, string? unit, bool isCounter)
    {
        var name = new StringBuilder(instrumentName.Length + 16);
        foreach (var c in instrumentName)
        {
            name.Append(char.IsAsciiLetterOrDigit(c) || c == '_' || c == ':' ? c : '_');
        }

        var suffix = unit switch { "s" => "_seconds", "By" => "_bytes", _ => null };
        if (suffix is not null && !name.ToString().EndsWith(suffix, StringComparison.Ordinal))
        {
            name.Append(suffix);
        }

        if (isCounter)
        {
            name.Append("_total");
        }

        return name.ToString();
    }

    /// <summary>Escapes a HELP text: backslash and line feed.</summary>
    public static string EscapeHelp(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    /// <summary>Escapes a label value: backslash, double quote and line feed.</summary>
    public static string EscapeLabelValue(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    /// <summary>A sample value or bound as Prometheus writes it: shortest round-trip form, +Inf, -Inf, NaN.</summary>
    public static string Number(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        double.NaN => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    /// <summary>Writes <c>{a="x",b="y"}</c> (nothing when there are no labels), with an optional trailing <c>le</c>.</summary>
    public static void AppendLabels(StringBuilder output, IReadOnlyList<KeyValuePair<string, string>> labels, string? le = null)
    {
        if (labels.Count == 0 && le is null)
        {
            return;
        }

        output.Append('{');
        var first = true;
        foreach (var (name, value) in labels)
        {
            output.Append(first ? "" : ",").Append(name).Append("=\"").Append(EscapeLabelValue(value)).Append('"');
            first = false;
        }

        if (le is not null)
        {
            output.Append(first ? "" : ",").Append("le=\"").Append(le).Append('"');
        }

        output.Append('}');
    }
}
