namespace FastRelay.Tunnel.Noise;

public sealed class RekeyHandshakeTests
{
    private static readonly X25519Dh Dh = X25519Dh.Instance;

    [Fact]
    public void Rekey_BothSides_Derive48ByteMessagesAndMatchingKeys()
    {
        using var edge = Dh.GenerateKeyPair();
        using var exit = Dh.GenerateKeyPair();
        var h0 = new byte[32];
        using var initiator = RekeyHandshake.CreateInitiator(edge, exit.PublicKey, 1, h0, Dh);
        using var responder = RekeyHandshake.CreateResponder(exit, edge.PublicKey, 1, h0, Dh);
        var msg1 = new byte[RekeyHandshake.MessageSize];
        initiator.WriteMessage(msg1);
        Assert.True(responder.TryReadMessage(msg1));
        var msg2 = new byte[RekeyHandshake.MessageSize];
        responder.WriteMessage(msg2);
        Assert.True(initiator.TryReadMessage(msg2));

        using var edgeKeys = initiator.Split();
        using var exitKeys = responder.Split();
        Assert.Equal(edgeKeys.HandshakeHash, exitKeys.HandshakeHash);
        Assert.NotEqual(h0, edgeKeys.HandshakeHash);
        AssertPaired(edgeKeys.Send, exitKeys.Receive);
        AssertPaired(exitKeys.Send, edgeKeys.Receive);
    }

    [Theory]
    [InlineData("wrong epoch")]
    [InlineData("wrong previous hash")]
    [InlineData("wrong static")]
    [InlineData("tampered")]
    public void Rekey_Mismatch_FailsKk(string mismatch)
    {
        using var edge = Dh.GenerateKeyPair();
        using var exit = Dh.GenerateKeyPair();
        using var stranger = Dh.GenerateKeyPair();
        var h0 = new byte[32];
        var h1 = Enumerable.Repeat((byte)1, 32).ToArray();
        using var initiator = RekeyHandshake.CreateInitiator(mismatch == "wrong static" ? stranger : edge, exit.PublicKey, 5, h0, Dh);
        using var responder = RekeyHandshake.CreateResponder(exit, edge.PublicKey, mismatch == "wrong epoch" ? 6u : 5u,
            mismatch == "wrong previous hash" ? h1 : h0, Dh);
        var msg1 = new byte[RekeyHandshake.MessageSize];
        initiator.WriteMessage(msg1);
        if (mismatch == "tampered")
        {
            msg1[40] ^= 1;
        }

        Assert.False(responder.TryReadMessage(msg1));
    }

    [Fact]
    public void Rekey_LowOrderEphemeral_IsRejected()
    {
        using var edge = Dh.GenerateKeyPair();
        using var exit = Dh.GenerateKeyPair();
        using var responder = RekeyHandshake.CreateResponder(exit, edge.PublicKey, 1, new byte[32], Dh);
        // e = the point of order 1 (u = 0): es gives an all-zero secret, which must abort (docs/PROTOCOL.md "All-zero DH").
        Assert.False(responder.TryReadMessage(new byte[RekeyHandshake.MessageSize]));
        Assert.False(RekeyHandshake.CreateResponder(exit, edge.PublicKey, 1, new byte[32], Dh).TryReadMessage(new byte[47]));
    }

    [Fact]
    public void Prologue_HasLabelEpochAndHash()
    {
        var prologue = RekeyHandshake.Prologue(0x01020304, [9, 9]);
        Assert.Equal("RTUN/1 rekey"u8.ToArray().Concat(new byte[] { 1, 2, 3, 4, 9, 9 }).ToArray(), prologue);
    }

    private static void AssertPaired(CipherState send, CipherState receive)
    {
        var buffer = new byte[4 + CipherState.TagSize];
        send.Encrypt([], buffer, 4);
        Assert.True(receive.TryDecrypt([], buffer));
    }
}
