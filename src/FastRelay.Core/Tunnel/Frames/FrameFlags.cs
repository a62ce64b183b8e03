namespace FastRelay.Tunnel.Frames;

/// <summary>Flag bits per frame type (§4.4). Bits a type does not define must be zero.</summary>
public static class FrameFlags
{
    /// <summary>DATA: the sender's last bytes on this stream (half-close).</summary>
    public const byte Fin = 0x01;

    /// <summary>PING: this is the answer.</summary>
    public const byte Ack = 0x01;

    /// <summary>REKEY: the initiator's KK message 1.</summary>
    public const byte RekeyInit = 0x01;

    /// <summary>REKEY: the responder's KK message 2, its last record under the old key.</summary>
    public const byte RekeyResp = 0x02;

    /// <summary>REKEY: the initiator's last record under the old key.</summary>
    public const byte RekeyDone = 0x04;
}
