namespace FastRelay.Tunnel.Noise;

/// <summary>
/// The XX handshake of epoch 0 with fixed keys (a golden transcript: any change to the prologue, the pattern or the
/// key schedule changes these bytes), plus the all-zero DH and failure rules.
/// </summary>
public sealed class HandshakeStateTests
{
    private static readonly X25519Dh Dh = X25519Dh.Instance;

    [Fact]
    public void Xx_WithFixedKeysAndOurPrologue_MatchesTheGoldenTranscript()
    {
        var transcript = RunFixedXx();
        Assert.Equal(Golden.Msg1, Convert.ToHexString(transcript.Msg1));
        Assert.Equal(Golden.Msg2, Convert.ToHexString(transcript.Msg2));
        Assert.Equal(Golden.Msg3, Convert.ToHexString(transcript.Msg3));
        Assert.Equal(Golden.Hash, Convert.ToHexString(transcript.Hash));
        Assert.Equal(Golden.FirstRecord, Convert.ToHexString(transcript.FirstRecord));
    }

    [Fact]
    public void Xx_ResponderGivenLowOrderEphemeral_RefusesToWriteMsg2()
    {
        using var exit = Dh.GenerateKeyPair();
        using var responder = HandshakeState.Create(HandshakePattern.XX, false, [], exit, [], Dh);
        // u = 1 is a low-order point: ee would be all zeros.
        var lowOrder = new byte[32];
        lowOrder[0] = 1;
        Assert.True(responder.TryReadMessage(lowOrder, [], out _));
        Assert.False(responder.TryWriteMessage([], new byte[200], out _));
        Assert.Throws<InvalidOperationException>(() => responder.TryWriteMessage([], new byte[200], out _));
    }

    [Fact]
    public void Xx_Msg1WithPayloadBytes_IsRejectedByAnEmptyPayloadBuffer()
    {
        using var responder = HandshakeState.Create(HandshakePattern.XX, false, [], Dh.GenerateKeyPair(), [], Dh);
        Assert.False(responder.TryReadMessage(new byte[33], Span<byte>.Empty, out _));
    }

    [Fact]
    public void Split_BeforeTheLastMessage_Throws()
    {
        using var initiator = HandshakeState.Create(HandshakePattern.XX, true, [], Dh.GenerateKeyPair(), [], Dh);
        Assert.Throws<InvalidOperationException>(() => initiator.Split());
    }

    internal static (byte[] Msg1, byte[] Msg2, byte[] Msg3, byte[] Hash, byte[] FirstRecord) RunFixedXx()
    {
        var preamble = new byte[TunnelPreamble.Size];
        TunnelPreamble.Write(preamble);
        var prologue = TunnelPreamble.Prologue(preamble);
        using var edgeStatic = Dh.DeriveKeyPair(Fill(0x11));
        using var exitStatic = Dh.DeriveKeyPair(Fill(0x22));
        using var initiator = HandshakeState.CreateWithFixedEphemeral(HandshakePattern.XX, true, prologue, edgeStatic, [], Dh, null,
            Dh.DeriveKeyPair(Fill(0x33)));
        using var responder = HandshakeState.CreateWithFixedEphemeral(HandshakePattern.XX, false, prologue, exitStatic, [], Dh, null,
            Dh.DeriveKeyPair(Fill(0x44)));
        var msg1 = Write(initiator, []);
        Assert.Equal(32, msg1.Length);
        Read(responder, msg1);
        var msg2 = Write(responder, "exit identity"u8.ToArray());
        Read(initiator, msg2);
        var msg3 = Write(initiator, "edge identity"u8.ToArray());
        Read(responder, msg3);
        Assert.Equal(exitStatic.PublicKey.ToArray(), initiator.RemoteStatic.ToArray());
        Assert.Equal(edgeStatic.PublicKey.ToArray(), responder.RemoteStatic.ToArray());
        var (c1, _) = initiator.Split();
        var record = new byte[4 + CipherState.TagSize];
        "ping"u8.CopyTo(record);
        c1.Encrypt([0, 20], record, 4);
        c1.Dispose();
        return (msg1, msg2, msg3, initiator.GetHandshakeHash(), record);
    }

    private static byte[] Fill(byte value) => Enumerable.Repeat(value, 32).ToArray();

    private static byte[] Write(HandshakeState state, byte[] payload)
    {
        var buffer = new byte[1024];
        Assert.True(state.TryWriteMessage(payload, buffer, out var written));
        return buffer[..written];
    }

    private static void Read(HandshakeState state, byte[] message)
    {
        Assert.True(state.TryReadMessage(message, new byte[message.Length], out _));
    }

    /// <summary>
    /// Recorded from this implementation and checked against an independent one: a throwaway Python Noise XX on
    /// pyca/cryptography 48.0.0 (X25519, ChaCha20Poly1305, HMAC-SHA256) gave the same bytes on 2026-11-26.
    /// Keys: edge static 0x11×32, exit static 0x22×32, edge ephemeral 0x33×32, exit ephemeral 0x44×32; prologue of
    /// version 1; first record "ping" with ad = 00 14 under c1, n = 0.
    /// </summary>
    private static class Golden
    {
        public const string Msg1 = "7B0D47D93427F8311160781C7C733FD89F88970AEF490D8AA0EE19A4CB8A1B14";
        public const string Msg2 =
            "FF2EE45601EC1B67310C7790404585AE697331EEE1C1F8CF2419731C1FFF3E6BFCADB15080D9FD0434A18565751D3B60" +
            "22BEC571F33B6212486A1BFFA54D1A1ECC7C80BA45B644B92987D8BEC3E32288BBBBB0C0FAC23606073B589B92DCBE65" +
            "7A6C9DF1320BA12AB3EE878CDB";
        public const string Msg3 =
            "A7EA7DD47DDDBCFCD736B91B174C6107B2AD26C161965A119A7B644E0C6B3D0668D1853923DD957F67B777576DC39BDE" +
            "14DE2944E73452DABD6FF0605E296A14AB2C2D455C16CA8B563D9F1000";
        public const string Hash = "741C164ECA79BD93DC85AE00BBE310C6CAF3C43F85F38642FAF8277E789E7405";
        public const string FirstRecord = "A259BC9C6490A9AC4426380733A65FE8547714E7";
    }
}
