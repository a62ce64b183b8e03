using FastRelay.Tunnel.Frames;
using FastRelay.Tunnel.Noise;

namespace FastRelay.Tunnel.Session;

/// <summary>
/// A frame for the write loop's control queue (§4.6: PING/ACK, REKEY, GOAWAY, RST, WINDOW_UPDATE, OPEN and
/// OPEN_OK go before any DATA). Carries the actions the write loop performs right after encrypting it.
/// </summary>
internal readonly record struct ControlFrame(FrameType Type, byte Flags, uint StreamId, uint Word, ulong Ping = 0)
{
    /// <summary>OPEN: the encoded target; REKEY INIT/RESP: the KK message.</summary>
    public byte[]? Payload { get; init; }

    /// <summary>GOAWAY: the debug text; Word is the error code, <see cref="LastStreamId"/> the last id.</summary>
    public string? Debug { get; init; }

    /// <summary>GOAWAY: the last stream id processed.</summary>
    public uint LastStreamId { get; init; }

    /// <summary>OPEN or OPEN_OK: the stream, so the write loop can mark that the frame left (<see cref="TunnelStream.OpenSent"/>).</summary>
    public TunnelStream? Stream { get; init; }

    /// <summary>REKEY RESP/DONE: the new send key, switched to right after this frame's record is sealed (§4.8 steps 2-3).</summary>
    public CipherState? SwitchSendTo { get; init; }

    /// <summary>Final GOAWAY: after it is sent, the write loop sends FIN and stops.</summary>
    public bool CloseAfter { get; init; }

    /// <summary>An answer the peer provoked (PING ACK, an RST refusing an OPEN): counted toward the 1024-frame queue limit.</summary>
    public bool IsAnswer { get; init; }

    /// <summary>Bytes this frame takes in a record.</summary>
    public int Size => Type switch
    {
        FrameType.WindowUpdate or FrameType.Rst => FrameWriter.WordFrameSize,
        FrameType.Ping => FrameWriter.PingFrameSize,
        FrameType.OpenOk => FrameHeader.Size,
        FrameType.Open => FrameHeader.Size + Payload!.Length,
        FrameType.GoAway => FrameWriter.GoAwaySize(Debug),
        FrameType.Rekey => FrameHeader.Size + 4 + (Payload?.Length ?? 0),
        _ => throw new InvalidOperationException($"{Type} is not a control frame"),
    };

    /// <summary>Writes the frame at the start of <paramref name="destination"/>; returns its size.</summary>
    public int Write(Span<byte> destination) => Type switch
    {
        FrameType.WindowUpdate => FrameWriter.WriteWindowUpdate(destination, StreamId, Word),
        FrameType.Rst => FrameWriter.WriteRst(destination, StreamId, (TunnelErrorCode)Word),
        FrameType.Ping => FrameWriter.WritePing(destination, Flags == FrameFlags.Ack, Ping),
        FrameType.OpenOk => FrameWriter.WriteOpenOk(destination, StreamId),
        FrameType.Open => FrameWriter.WriteOpen(destination, StreamId, Payload),
        FrameType.GoAway => FrameWriter.WriteGoAway(destination, LastStreamId, (TunnelErrorCode)Word, Debug),
        FrameType.Rekey => FrameWriter.WriteRekey(destination, Flags, Word, Payload),
        _ => throw new InvalidOperationException($"{Type} is not a control frame"),
    };
}
