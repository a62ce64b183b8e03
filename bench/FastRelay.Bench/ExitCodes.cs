namespace FastRelay.Bench;

/// <summary>The process exit codes; scripts and CI branch on them, so they are part of the tool's surface.</summary>
internal static class ExitCodes
{
    /// <summary>Every selected phase ran on every path and every byte count checked out.</summary>
    public const int Success = 0;

    /// <summary>A phase failed: a byte-count or content mismatch, a reset, a timeout, or the relay did not start.</summary>
    public const int PhaseFailed = 1;

    /// <summary>The command line was wrong; every problem was listed on stderr.</summary>
    public const int BadArguments = 2;
}
