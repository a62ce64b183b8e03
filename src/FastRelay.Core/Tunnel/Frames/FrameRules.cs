using System.Buffers.Binary;

namespace FastRelay.Tunnel.Frames;

/// <summary>The per-type rows of the §4.4 table: which stream, which flags, which exact body size.</summary>
internal static class FrameRules
{
    /// <summary>Null when <paramref name="header"/> and <paramref name="body"/> satisfy their row; otherwise the error.</summary>
    public static FrameError? Check(FrameHeader header, ReadOnlySpan<byte> body)
    {
        var length = body.Length;
        return header.Type switch
        {
            FrameType.Data => OnStream(header, FrameFlags.Fin)
                ?? (length == 0 && (header.Flags & FrameFlags.Fin) == 0 ? Protocol(header, "empty DATA without FIN") : null),
            FrameType.WindowUpdate => OnStream(header, 0) ?? Size(header, length, 4) ?? Increment(header, body),
            FrameType.Open => OnStream(header, 0)
                ?? (length is < 1 or > FrameLimits.MaxOpenBody ? Protocol(header, $"body of {length} bytes (expected 1-{FrameLimits.MaxOpenBody})") : null),
            FrameType.OpenOk => OnStream(header, 0) ?? Size(header, length, 0),
            FrameType.Rst => OnStream(header, 0) ?? Size(header, length, 4),
            FrameType.Ping => OnConnection(header, FrameFlags.Ack) ?? Size(header, length, FrameLimits.PingBody),
            FrameType.GoAway => OnConnection(header, 0)
                ?? (length is < 8 or > 8 + FrameLimits.MaxGoAwayDebug ? Protocol(header, $"body of {length} bytes (expected 8-{8 + FrameLimits.MaxGoAwayDebug})") : null),
            FrameType.Rekey => CheckRekey(header, length),
            _ => Protocol(header, $"unknown frame type 0x{(byte)header.Type:x2}"),
        };
    }

    private static FrameError? CheckRekey(FrameHeader header, int length)
    {
        if (OnConnection(header, FrameFlags.RekeyInit | FrameFlags.RekeyResp | FrameFlags.RekeyDone) is { } error)
        {
            return error;
        }

        return header.Flags switch
        {
            FrameFlags.RekeyInit or FrameFlags.RekeyResp => Size(header, length, 4 + FrameLimits.RekeyMessageSize),
            FrameFlags.RekeyDone => Size(header, length, 4),
            _ => Protocol(header, $"flags 0x{header.Flags:x2} (expected exactly one of INIT, RESP, DONE)"),
        };
    }

    private static FrameError? OnStream(FrameHeader header, byte allowedFlags) =>
        header.StreamId == 0 ? Protocol(header, "on stream 0")
        : (header.Flags & ~allowedFlags) != 0 ? Protocol(header, $"undefined flags 0x{header.Flags:x2}")
        : null;

    private static FrameError? OnConnection(FrameHeader header, byte allowedFlags) =>
        header.StreamId != 0 ? Protocol(header, $"on stream {header.StreamId} (expected stream 0)")
        : (header.Flags & ~allowedFlags) != 0 ? Protocol(header, $"undefined flags 0x{header.Flags:x2}")
        : null;

    private static FrameError? Size(FrameHeader header, int length, int expected) =>
        length == expected ? null : Protocol(header, $"body of {length} bytes (expected {expected})");

    private static FrameError? Increment(FrameHeader header, ReadOnlySpan<byte> body)
    {
        var increment = BinaryPrimitives.ReadUInt32BigEndian(body);
        return increment is 0 or > (uint)FrameLimits.MaxWindow
            ? new FrameError(TunnelErrorCode.FlowControl, $"WINDOW_UPDATE on stream {header.StreamId} with increment {increment} (expected 1-{FrameLimits.MaxWindow})")
            : null;
    }

    private static FrameError Protocol(FrameHeader header, string what) =>
        new(TunnelErrorCode.ProtocolError, $"{header.Type} frame {what}" + (header.Type <= FrameType.Rst && header.StreamId != 0 ? $" on stream {header.StreamId}" : string.Empty));
}
