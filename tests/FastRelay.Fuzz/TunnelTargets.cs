using FastRelay.Tunnel.Frames;
using FastRelay.Tunnel.Handshake;
using FastRelay.Tunnel.Records;

namespace FastRelay.Fuzz;

/// <summary>
/// The tunnel's decoders of peer bytes (docs/PROTOCOL.md "Hostile input"): a frame record and the handshake. A bad
/// input must end in the decoder's named rejection (a <see cref="FrameReadStatus.Error"/>, a false, a
/// <see cref="TunnelHandshakeException"/> whose message is the logged reason), never another exception.
/// </summary>
public static class TunnelTargets
{
    /// <summary>
    /// One decrypted record's frames, read as the session's read loop reads them: the length prefix check on the
    /// first two bytes, then <see cref="FrameReader"/> over all of it, and each accepted frame's body decoded
    /// (OPEN targets, GOAWAY code and debug text, PING payload, the first word of WINDOW_UPDATE, RST and REKEY).
    /// </summary>
    public static void Frame(ReadOnlySpan<byte> data)
    {
        if (data.Length >= FrameLimits.RecordLengthSize)
        {
            _ = RecordCodec.TryReadLength(data, FrameLimits.MaxRecordLength, out _, out _);
        }

        var reader = new FrameReader(data);
        while (true)
        {
            switch (reader.TryReadNext(out var frame, out var error))
            {
                case FrameReadStatus.End:
                    return;
                case FrameReadStatus.Error:
                    _ = error.Reason.Length; // The named rejection: GOAWAY(code) with this reason logged.
                    return;
                case FrameReadStatus.Ignored:
                    continue;
                case FrameReadStatus.Frame:
                    ReadBody(frame);
                    continue;
            }
        }
    }

    /// <summary>
    /// The handshake as the gateway (responder) and the edge (initiator) parse it, over real loopback sockets: the
    /// first byte picks the side and whether the rest is raw wire bytes or the plaintext identity payload of msg3
    /// or msg2 (sealed by a real Noise peer, so it reaches the TLV, settings and certificate checks). See
    /// <see cref="HandshakeHarness"/>.
    /// </summary>
    public static void Handshake(ReadOnlySpan<byte> data) => HandshakeHarness.Run(data);

    private static void ReadBody(Tunnel.Frames.Frame frame)
    {
        switch (frame.Type)
        {
            case FrameType.Open:
                _ = TunnelTargetCodec.TryRead(frame.Body, out _, out _);
                break;
            case FrameType.GoAway:
                _ = frame.GoAwayCode;
                _ = frame.GoAwayDebug;
                break;
            case FrameType.Ping:
                _ = frame.PingPayload;
                break;
            case FrameType.WindowUpdate or FrameType.Rst:
                _ = frame.FirstWord;
                break;
            case FrameType.Rekey:
                _ = frame.FirstWord;
                if (frame.Body.Length > 4)
                {
                    _ = frame.RekeyMessage.Length;
                }

                break;
        }
    }
}
