using FastRelay.Tunnel.Frames;
using FastRelay.Tunnel.Noise;
using FastRelay.Tunnel.Records;

namespace FastRelay.Tunnel.Handshake;

/// <summary>
/// The gateway writes its GOAWAY(AUTH_FAILED) record itself, before any session exists: the edge's session
/// reader must parse it like any other record (the two were written apart and once disagreed on the header).
/// </summary>
public sealed class AuthFailedRecordTests
{
    [Fact]
    public void AuthFailedRecord_ParsesWithTheMuxReader()
    {
        var key = new byte[32];
        using var send = new CipherState(key);
        using var receive = new CipherState(key);
        var record = AuthFailedRecord.Write(send);
        Assert.True(RecordCodec.TryReadLength(record, 65535, out var length, out _));
        Assert.Equal(record.Length - 2, length);
        Assert.True(RecordCodec.TryOpen(receive, record));
        var reader = new FrameReader(RecordCodec.Plaintext(record));
        Assert.Equal(FrameReadStatus.Frame, reader.TryReadNext(out var frame, out _));
        Assert.Equal(FrameType.GoAway, frame.Type);
        Assert.Equal(TunnelErrorCode.AuthFailed, frame.GoAwayCode);
        Assert.Equal(0u, frame.FirstWord);
        Assert.Equal(FrameReadStatus.End, reader.TryReadNext(out _, out _));
    }
}
