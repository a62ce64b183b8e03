namespace FastRelay.Tunnel.Streams;

/// <summary>How an id in an OPEN relates to the ids seen before (§4.5).</summary>
internal enum IncomingIdKind
{
    /// <summary>Odd and above every id seen: a new stream.</summary>
    New,

    /// <summary>Even, zero, or not above the highest id seen: PROTOCOL_ERROR.</summary>
    Invalid,
}

/// <summary>The gateway's view of edge-opened ids: odd and strictly increasing. Not thread-safe (read loop only).</summary>
internal sealed class IncomingStreamIds
{
    /// <summary>The highest id opened so far (0 before the first).</summary>
    public uint Highest { get; private set; }

    /// <summary>Classifies the id of an OPEN and, when new, records it as the highest.</summary>
    public IncomingIdKind Accept(uint id)
    {
        if (id % 2 == 0 || id <= Highest)
        {
            return IncomingIdKind.Invalid;
        }

        Highest = id;
        return IncomingIdKind.New;
    }

    /// <summary>
    /// True for an odd id at or below the highest seen: a frame for it that finds no stream raced with an RST and is
    /// ignored. An even id was never the edge's to open (§4.5: wrong parity is a PROTOCOL_ERROR), whatever its value.
    /// </summary>
    public bool WasSeen(uint id) => id % 2 == 1 && id <= Highest;
}
