namespace FastRelay.Relaying;

/// <summary>How one direction of a relay ended (after YARP's StreamCopyResult).</summary>
public enum PumpResult
{
    /// <summary>The source sent FIN and every byte was handed to the destination, which was then completed.</summary>
    SourceCompleted,

    /// <summary>Reading the source failed (reset, abort): the exception says how.</summary>
    SourceFailed,

    /// <summary>The destination stopped taking bytes (its peer reset or the connection was aborted).</summary>
    DestinationClosed,
}
