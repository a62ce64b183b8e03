using System.Text.Json;
using FastRelay.Bench.Cli;
using FastRelay.Bench.Phases;
using FastRelay.Bench.Reporting.Svg;
using FastRelay.Bench.Targets;

namespace FastRelay.Bench.Reporting;

/// <summary>Writes report.json and latency-cdf.svg into the output directory.</summary>
internal static class ReportFiles
{
    /// <summary>The file names inside <c>--out</c>; scripts and CI pick them up by name.</summary>
    public const string JsonName = "report.json";

    /// <inheritdoc cref="JsonName"/>
    public const string SvgName = "latency-cdf.svg";

    /// <summary>Writes both files (creating the directory) and returns their paths. Throws on I/O errors.</summary>
    public static (string Json, string Svg) Write(RunOptions options, BenchReport report)
    {
        Directory.CreateDirectory(options.OutputDirectory);
        var json = Path.Combine(options.OutputDirectory, JsonName);
        File.WriteAllText(json, JsonSerializer.Serialize(report, ReportJsonContext.Default.BenchReport));

        var svg = Path.Combine(options.OutputDirectory, SvgName);
        var title = $"Round-trip latency CDF, direct vs relay ({options.MessageBytes} B ping-pong, {report.StartedAt:yyyy-MM-dd HH:mm}Z)";
        File.WriteAllText(svg, CdfSvgWriter.Render(title, Series(options, report.Results)));
        return (json, svg);
    }

    private static List<CdfSeries> Series(RunOptions options, IReadOnlyList<PhaseResult> results)
    {
        // Colour tells the path apart (the comparison that matters), the dash tells the phase apart.
        var series = new List<CdfSeries>();
        foreach (var phase in new[] { PhaseKind.Latency, PhaseKind.Sessions })
        {
            foreach (var (path, color) in new[] { (BenchTarget.DirectName, "#1f77b4"), (BenchTarget.RelayName, "#e6550d") })
            {
                if (ComparisonBuilder.Find(results, phase, path) is { Succeeded: true, Latency: { } latency })
                {
                    var label = $"{path}: {PhaseDispatcher.Title(phase, options)}";
                    series.Add(new CdfSeries(label, color, Dashed: phase == PhaseKind.Sessions, latency));
                }
            }
        }

        return series;
    }
}
