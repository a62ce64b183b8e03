namespace FastRelay.CommandLine;

/// <summary>The process exit codes (cli.md): scripts and unit files branch on them.</summary>
internal static class ExitCodes
{
    /// <summary>Ran and stopped cleanly (including after SIGTERM/SIGINT and a drain).</summary>
    public const int Success = 0;

    /// <summary>A runtime failure, such as a listener that cannot bind; one line on stderr says which.</summary>
    public const int RuntimeFailure = 1;

    /// <summary>Bad flags or config; every error is listed on stderr.</summary>
    public const int BadConfiguration = 2;

    /// <summary>
    /// The parser's errors (unknown flags) while a command that checks its own flags first runs only to list its
    /// errors with them (Program): <see cref="MustStop"/> is then always true. Null otherwise. One command per process.
    /// </summary>
    public static IReadOnlyList<string>? PendingParseErrors { get; set; }

    /// <summary>True when a command must print its errors and exit 2 instead of doing anything.</summary>
    public static bool MustStop(List<string> errors) => errors.Count > 0 || PendingParseErrors is { Count: > 0 };

    /// <summary>Prints every configuration error to stderr (the parser's first), one per line, and returns <see cref="BadConfiguration"/>.</summary>
    public static int PrintConfigErrors(IEnumerable<string> errors)
    {
        // A flag given without its value was left out of the arguments the command then checks, which find it missing:
        // the "no value" line already says so, once.
        var all = (PendingParseErrors ?? []).Concat(errors).ToList();
        var valueless = all.Where(NoValue).Select(e => e[..(e.IndexOf(':', StringComparison.Ordinal) + 1)]).ToList();
        var list = all.Where(e => NoValue(e) || !valueless.Any(flag => e.StartsWith(flag, StringComparison.Ordinal)))
            .Select(e => FlagAsValue.IsCommandLineError(e) ? e : ConfigArguments.NameOrigin(e)).ToList();
        Console.Error.WriteLine($"fastrelay: {list.Count} configuration error{(list.Count == 1 ? "" : "s")}:");
        foreach (var error in list)
        {
            Console.Error.WriteLine("  " + error);
        }

        Console.Error.WriteLine("Run with --help to see every flag and its default.");
        return BadConfiguration;

        static bool NoValue(string error) => error.StartsWith('-') && error.Contains(": no value;", StringComparison.Ordinal);
    }
}
