using System.Buffers.Binary;

namespace FastRelay.Tunnel.Frames;

/// <summary>Every row of the §4.4 frame table: type, flags, stream id, exact body size; unknown types.</summary>
public sealed class FrameReaderTests
{
    private static byte[] Frame(byte type, byte flags, uint stream, int bodyLength, uint? firstWord = null)
    {
        var frame = new byte[FrameHeader.Size + bodyLength];
        new FrameHeader((FrameType)type, flags, bodyLength, stream).Write(frame);
        if (firstWord is { } word)
        {
            BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(FrameHeader.Size), word);
        }

        return frame;
    }

    public static TheoryData<string, byte[]> Valid => new()
    {
        { "DATA", Frame(0, 0, 1, 100) },
        { "DATA|FIN empty", Frame(0, FrameFlags.Fin, 1, 0) },
        { "DATA max body", Frame(0, 0, 1, FrameLimits.MaxDataBody) },
        { "WINDOW_UPDATE 1", Frame(1, 0, 1, 4, 1) },
        { "WINDOW_UPDATE 2^31-1", Frame(1, 0, 1, 4, int.MaxValue) },
        { "OPEN 1 byte", Frame(2, 0, 1, 1) },
        { "OPEN 1024 bytes", Frame(2, 0, 1, 1024) },
        { "OPEN_OK", Frame(3, 0, 1, 0) },
        { "RST", Frame(4, 0, 1, 4, 8) },
        { "PING", Frame(5, 0, 0, 8) },
        { "PING ACK", Frame(5, FrameFlags.Ack, 0, 8) },
        { "GOAWAY", Frame(6, 0, 0, 8) },
        { "GOAWAY 256 debug", Frame(6, 0, 0, 8 + 256) },
        { "REKEY INIT", Frame(7, FrameFlags.RekeyInit, 0, 52) },
        { "REKEY RESP", Frame(7, FrameFlags.RekeyResp, 0, 52) },
        { "REKEY DONE", Frame(7, FrameFlags.RekeyDone, 0, 4) },
    };

    [Theory]
    [MemberData(nameof(Valid))]
    public void TryReadNext_ValidRow_ReturnsFrame(string label, byte[] record)
    {
        var reader = new FrameReader(record);
        Assert.True(reader.TryReadNext(out var frame, out var error) == FrameReadStatus.Frame, $"{label}: {error.Reason}");
        Assert.Equal(record.Length - FrameHeader.Size, frame.Body.Length);
        Assert.Equal(FrameReadStatus.End, reader.TryReadNext(out _, out _));
    }

    public static TheoryData<string, byte[], TunnelErrorCode, string> Invalid => new()
    {
        { "DATA on stream 0", Frame(0, 0, 0, 1), TunnelErrorCode.ProtocolError, "on stream 0" },
        { "DATA bad flag", Frame(0, 2, 1, 1), TunnelErrorCode.ProtocolError, "undefined flags 0x02" },
        { "DATA empty no FIN", Frame(0, 0, 1, 0), TunnelErrorCode.ProtocolError, "empty DATA without FIN" },
        { "WINDOW_UPDATE 3 bytes", Frame(1, 0, 1, 3), TunnelErrorCode.ProtocolError, "body of 3 bytes (expected 4)" },
        { "WINDOW_UPDATE 0", Frame(1, 0, 1, 4, 0), TunnelErrorCode.FlowControl, "increment 0" },
        { "WINDOW_UPDATE 2^31", Frame(1, 0, 1, 4, 1u << 31), TunnelErrorCode.FlowControl, "increment 2147483648" },
        { "WINDOW_UPDATE stream 0", Frame(1, 0, 0, 4, 1), TunnelErrorCode.ProtocolError, "on stream 0" },
        { "OPEN empty", Frame(2, 0, 1, 0), TunnelErrorCode.ProtocolError, "body of 0 bytes (expected 1-1024)" },
        { "OPEN 1025", Frame(2, 0, 1, 1025), TunnelErrorCode.ProtocolError, "body of 1025 bytes" },
        { "OPEN stream 0", Frame(2, 0, 0, 10), TunnelErrorCode.ProtocolError, "on stream 0" },
        { "OPEN_OK with body", Frame(3, 0, 1, 1), TunnelErrorCode.ProtocolError, "body of 1 bytes (expected 0)" },
        { "RST 5 bytes", Frame(4, 0, 1, 5), TunnelErrorCode.ProtocolError, "body of 5 bytes (expected 4)" },
        { "RST flag", Frame(4, 1, 1, 4), TunnelErrorCode.ProtocolError, "undefined flags" },
        { "PING on stream", Frame(5, 0, 7, 8), TunnelErrorCode.ProtocolError, "on stream 7 (expected stream 0)" },
        { "PING 9 bytes", Frame(5, 0, 0, 9), TunnelErrorCode.ProtocolError, "body of 9 bytes (expected 8)" },
        { "PING flag 2", Frame(5, 2, 0, 8), TunnelErrorCode.ProtocolError, "undefined flags" },
        { "GOAWAY 7 bytes", Frame(6, 0, 0, 7), TunnelErrorCode.ProtocolError, "body of 7 bytes (expected 8-264)" },
        { "GOAWAY long debug", Frame(6, 0, 0, 265), TunnelErrorCode.ProtocolError, "body of 265 bytes" },
        { "REKEY no flag", Frame(7, 0, 0, 4), TunnelErrorCode.ProtocolError, "exactly one of INIT, RESP, DONE" },
        { "REKEY two flags", Frame(7, 3, 0, 52), TunnelErrorCode.ProtocolError, "exactly one of INIT, RESP, DONE" },
        { "REKEY INIT short", Frame(7, FrameFlags.RekeyInit, 0, 4), TunnelErrorCode.ProtocolError, "body of 4 bytes (expected 52)" },
        { "REKEY DONE long", Frame(7, FrameFlags.RekeyDone, 0, 52), TunnelErrorCode.ProtocolError, "body of 52 bytes (expected 4)" },
        { "REKEY on stream", Frame(7, FrameFlags.RekeyDone, 1, 4), TunnelErrorCode.ProtocolError, "expected stream 0" },
        { "unknown 0x08", Frame(8, 0, 0, 0), TunnelErrorCode.ProtocolError, "unknown frame type 0x08" },
        { "unknown 0x7f", Frame(0x7f, 0, 0, 0), TunnelErrorCode.ProtocolError, "unknown frame type 0x7f" },
        { "header cut", new byte[5], TunnelErrorCode.FrameSize, "shorter than a frame header" },
        { "body beyond record", Frame(0, 0, 1, 10)[..12], TunnelErrorCode.FrameSize, "exceeds the 4 bytes left" },
        { "empty record", [], TunnelErrorCode.FrameSize, "record carries no frame" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void TryReadNext_BrokenRow_ErrorWithCodeAndReason(string label, byte[] record, TunnelErrorCode code, string reason)
    {
        var reader = new FrameReader(record);
        Assert.Equal(FrameReadStatus.Error, reader.TryReadNext(out _, out var error));
        Assert.Equal(code, error.Code);
        Assert.Contains(reason, error.Reason, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(label));
    }

    [Theory]
    [InlineData(0x80)]
    [InlineData(0xff)]
    public void TryReadNext_ExtensionType_IgnoredAndNextFrameRead(byte type)
    {
        var record = Frame(type, 0xff, 12345, 17).Concat(Frame(5, 0, 0, 8)).ToArray();
        var reader = new FrameReader(record);
        Assert.Equal(FrameReadStatus.Ignored, reader.TryReadNext(out _, out _));
        Assert.Equal(FrameReadStatus.Frame, reader.TryReadNext(out var ping, out _));
        Assert.Equal(FrameType.Ping, ping.Type);
    }

    [Fact]
    public void Writers_CoalescedInOneRecord_ReadBackInOrder()
    {
        var record = new byte[4096];
        var offset = FrameWriter.WriteWindowUpdate(record, 3, 65536);
        offset += FrameWriter.WriteRst(record.AsSpan(offset), 5, TunnelErrorCode.Cancel);
        offset += FrameWriter.WritePing(record.AsSpan(offset), ack: true, 0x0102030405060708);
        offset += FrameWriter.WriteGoAway(record.AsSpan(offset), 7, TunnelErrorCode.ShuttingDown, "bye ✓");
        offset += FrameWriter.WriteRekey(record.AsSpan(offset), FrameFlags.RekeyInit, 2, new byte[48]);
        offset += FrameWriter.WriteOpenOk(record.AsSpan(offset), 9);
        offset += FrameWriter.WriteDataHeader(record.AsSpan(offset), 9, 3, fin: true);
        record.AsSpan(offset, 3).Fill(7);
        offset += 3;

        var reader = new FrameReader(record.AsSpan(0, offset));
        var seen = new List<string>();
        while (reader.TryReadNext(out var frame, out var error) is var status && status != FrameReadStatus.End)
        {
            Assert.True(status == FrameReadStatus.Frame, error.Reason);
            seen.Add(frame.Type switch
            {
                FrameType.WindowUpdate => $"WU {frame.StreamId} {frame.FirstWord}",
                FrameType.Rst => $"RST {frame.StreamId} {(TunnelErrorCode)frame.FirstWord}",
                FrameType.Ping => $"PING {frame.Has(FrameFlags.Ack)} {frame.PingPayload:x}",
                FrameType.GoAway => $"GOAWAY {frame.FirstWord} {frame.GoAwayCode} {frame.GoAwayDebug}",
                FrameType.Rekey => $"REKEY {frame.FirstWord} {frame.RekeyMessage.Length}",
                FrameType.OpenOk => $"OPEN_OK {frame.StreamId}",
                _ => $"DATA {frame.StreamId} {frame.Has(FrameFlags.Fin)} {frame.Body.Length}",
            });
        }

        Assert.Equal(
            ["WU 3 65536", "RST 5 Cancel", "PING True 102030405060708", "GOAWAY 7 ShuttingDown bye ✓", "REKEY 2 48", "OPEN_OK 9", "DATA 9 True 3"],
            seen);
    }

    [Fact]
    public void WriteGoAway_LongDebug_CutAt256BytesOnACharacterBoundary()
    {
        var record = new byte[1024];
        var size = FrameWriter.WriteGoAway(record, 0, TunnelErrorCode.Internal, new string('é', 200));
        var reader = new FrameReader(record.AsSpan(0, size));
        Assert.Equal(FrameReadStatus.Frame, reader.TryReadNext(out var frame, out _));
        Assert.Equal(new string('é', 128), frame.GoAwayDebug);
        Assert.Equal(FrameWriter.GoAwaySize(new string('é', 200)), size);
    }
}
