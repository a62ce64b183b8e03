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

    /// <summary>Prints every configuration error to stderr, one per line, and returns <see cref="BadConfiguration"/>.</summary>
    public static int PrintConfigErrors(IEnumerable<string> errors)
    {
        var list = errors.ToList();
        Console.Error.WriteLine($"fastrelay: {list.Count} configuration error{(list.Count == 1 ? "" : "s")}:");
        foreach (var error in list)
        {
            Console.Error.WriteLine("  " + error);
        }

        Console.Error.WriteLine("Run with --help to see every flag and its default.");
        return BadConfiguration;
    }
}
