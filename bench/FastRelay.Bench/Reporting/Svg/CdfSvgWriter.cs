using System.Globalization;
using System.Security;
using System.Text;
using FastRelay.Bench.Measurement;

namespace FastRelay.Bench.Reporting.Svg;

/// <summary>One curve of the chart: a path's latency distribution in one phase.</summary>
internal sealed record CdfSeries(string Label, string Color, bool Dashed, LatencySummary Latency);

/// <summary>
/// Writes latency-cdf.svg by hand (no package): the whole CDF on top, the tail on a "nines" axis below, both
/// against latency on a shared log axis, and a legend with each curve's p50 and p99.
/// </summary>
internal static class CdfSvgWriter
{
    private const int Width = 1000;
    private const int Height = 720;
    private const int Left = 80;
    private const int Right = 640;
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>Renders <paramref name="series"/> under <paramref name="title"/>; an empty list gives a "no data" chart.</summary>
    public static string Render(string title, IReadOnlyList<CdfSeries> series)
    {
        var svg = new StringBuilder();
        svg.Append(Invariant, $"""<svg xmlns="http://www.w3.org/2000/svg" width="{Width}" height="{Height}" viewBox="0 0 {Width} {Height}" font-family="sans-serif" font-size="12">""").AppendLine();
        svg.AppendLine("""<rect width="100%" height="100%" fill="white"/>""");
        Text(svg, Width / 2, 24, Escape(title), "middle", 16);
        if (series.Count == 0)
        {
            Text(svg, Width / 2, Height / 2, "no latency data in this run", "middle", 14);
            return svg.AppendLine("</svg>").ToString();
        }

        var x = LogAxis.Around(series.Min(s => s.Latency.MinMicros), series.Max(s => s.Latency.MaxMicros), Left, Right);
        // Beyond log10(samples) nines there is no data; the 100 % point (the max) is drawn on the top edge.
        var maxNines = Math.Clamp(Math.Floor(Math.Log10(series.Max(s => s.Latency.Count))), 2, 6);
        Panel(svg, series, x, new PercentileAxis(false, 0, 330, 50), "cumulative % of round trips");
        Panel(svg, series, x, new PercentileAxis(true, maxNines, 660, 400), "tail (percentile, nines scale)");
        Legend(svg, series);
        return svg.AppendLine("</svg>").ToString();
    }

    private static void Panel(StringBuilder svg, IReadOnlyList<CdfSeries> series, LogAxis x, PercentileAxis y, string yTitle)
    {
        var (top, bottom) = (y.PixelTop, y.PixelBottom);
        foreach (var (value, major) in x.Ticks())
        {
            var px = x.Map(value);
            Line(svg, px, top, px, bottom, major ? "#ccc" : "#eee");
            Text(svg, px, bottom + 16, FormatMicros(value), "middle", 11);
        }

        foreach (var (percentile, label) in y.Ticks())
        {
            var py = y.Map(percentile);
            Line(svg, Left, py, Right, py, "#ddd");
            Text(svg, Left - 6, py + 4, label, "end", 11);
        }

        svg.Append(Invariant, $"""<rect x="{Left}" y="{top}" width="{Right - Left}" height="{bottom - top}" fill="none" stroke="#333"/>""").AppendLine();
        Text(svg, (Left + Right) / 2, bottom + 34, "latency (µs, log scale)", "middle", 12);
        svg.Append(Invariant, $"""<text x="18" y="{(top + bottom) / 2:0}" text-anchor="middle" transform="rotate(-90 18 {(top + bottom) / 2:0})">{yTitle}</text>""").AppendLine();

        foreach (var s in series)
        {
            var points = string.Join(' ', s.Latency.Cdf.Select(p => string.Create(Invariant, $"{x.Map(p.Micros):0.#},{y.Map(p.Percentile):0.#}")));
            var dash = s.Dashed ? """ stroke-dasharray="7 4" """ : " ";
            svg.Append(Invariant, $"""<polyline fill="none" stroke="{s.Color}" stroke-width="2"{dash}points="{points}"/>""").AppendLine();
        }
    }

    private static void Legend(StringBuilder svg, IReadOnlyList<CdfSeries> series)
    {
        var y = 70.0;
        foreach (var s in series)
        {
            var dash = s.Dashed ? """ stroke-dasharray="7 4" """ : " ";
            svg.Append(Invariant, $"""<line x1="{Right + 24}" y1="{y - 4}" x2="{Right + 64}" y2="{y - 4}" stroke="{s.Color}" stroke-width="2"{dash}/>""").AppendLine();
            Text(svg, Right + 72, y, Escape(s.Label), "start", 12);
            var stats = $"p50 {Duration(s.Latency.P50Micros)}, p99 {Duration(s.Latency.P99Micros)}, max {Duration(s.Latency.MaxMicros)}";
            Text(svg, Right + 72, y + 16, stats, "start", 11);
            y += 44;
        }
    }

    private static string FormatMicros(double micros) => micros switch
    {
        >= 1_000_000 => string.Create(Invariant, $"{micros / 1_000_000:0.#} s"),
        >= 1_000 => string.Create(Invariant, $"{micros / 1_000:0.#} ms"),
        _ => micros.ToString("0.##", Invariant),
    };

    private static string Duration(double micros) => micros >= 1_000
        ? string.Create(Invariant, $"{micros / 1_000:0.00} ms")
        : string.Create(Invariant, $"{micros:0.0} µs");

    private static void Line(StringBuilder svg, double x1, double y1, double x2, double y2, string color) =>
        svg.Append(Invariant, $"""<line x1="{x1:0.#}" y1="{y1:0.#}" x2="{x2:0.#}" y2="{y2:0.#}" stroke="{color}"/>""").AppendLine();

    private static void Text(StringBuilder svg, double x, double y, string text, string anchor, int size) =>
        svg.Append(Invariant, $"""<text x="{x:0.#}" y="{y:0.#}" text-anchor="{anchor}" font-size="{size}">{text}</text>""").AppendLine();

    private static string Escape(string text) => SecurityElement.Escape(text) ?? "";
}
