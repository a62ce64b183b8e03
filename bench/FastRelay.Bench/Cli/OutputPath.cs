namespace FastRelay.Bench.Cli;

/// <summary>
/// Checks, before anything is measured, that a report can be written where the user asked: a run of minutes that
/// fails at its last step on a mistyped <c>--out</c> or <c>--json</c> loses the measurement.
/// </summary>
internal static class OutputPath
{
    /// <summary>Creates <paramref name="directory"/> if needed and proves a file can be made in it.</summary>
    public static void CheckDirectory(string flag, string directory, List<string> errors)
    {
        if (File.Exists(directory))
        {
            errors.Add($"{flag}: '{directory}' is a file; expected a directory for the reports");
            return;
        }

        try
        {
            Directory.CreateDirectory(directory);
            Probe(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            errors.Add($"{flag}: cannot write to '{directory}' ({ex.Message}); expected a directory the harness may write");
        }
    }

    /// <summary>Proves <paramref name="file"/> can be written without touching it if it exists (it is replaced at the end).</summary>
    public static void CheckFile(string flag, string file, List<string> errors)
    {
        if (Directory.Exists(file))
        {
            errors.Add($"{flag}: '{file}' is a directory; expected a file path for the report");
            return;
        }

        try
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(file))!;
            if (!Directory.Exists(directory))
            {
                errors.Add($"{flag}: the directory of '{file}' does not exist; expected a path in an existing directory");
                return;
            }

            Probe(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            errors.Add($"{flag}: cannot write '{file}' ({ex.Message}); expected a path the harness may write");
        }
    }

    private static void Probe(string directory)
    {
        var probe = Path.Combine(directory, $".fastrelay-bench-{Environment.ProcessId}.probe");
        File.WriteAllBytes(probe, []);
        File.Delete(probe);
    }
}
