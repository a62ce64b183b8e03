namespace FastRelay.Tunnel.Noise;

public sealed class CipherStateTests
{
    private static readonly byte[] Key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    [Fact]
    public void EncryptThenDecrypt_InPlace_RoundTripsAndCountsNonces()
    {
        using var send = new CipherState(Key);
        using var receive = new CipherState(Key);
        for (var i = 0; i < 3; i++)
        {
            var buffer = new byte[5 + CipherState.TagSize];
            "hello"u8.CopyTo(buffer);
            send.Encrypt([0, 21], buffer, 5);
            Assert.False(buffer.AsSpan(0, 5).SequenceEqual("hello"u8));
            Assert.True(receive.TryDecrypt([0, 21], buffer));
            Assert.True(buffer.AsSpan(0, 5).SequenceEqual("hello"u8));
        }

        Assert.Equal(3UL, send.Nonce);
        Assert.Equal(3UL, receive.Nonce);
    }

    [Fact]
    public void TryDecrypt_ReplayedOrReordered_FailsAndKeepsTheNonce()
    {
        using var send = new CipherState(Key);
        using var receive = new CipherState(Key);
        var first = Seal(send, 1);
        var second = Seal(send, 2);
        Assert.False(receive.TryDecrypt([], second.ToArray()));
        Assert.Equal(0UL, receive.Nonce);
        Assert.True(receive.TryDecrypt([], first.ToArray()));
        Assert.False(receive.TryDecrypt([], first.ToArray()));
        Assert.Equal(1UL, receive.Nonce);
    }

    [Fact]
    public void TryDecrypt_AnyBitFlipOrWrongAd_Fails()
    {
        using var send = new CipherState(Key);
        var record = Seal(send, 7);
        for (var bit = 0; bit < record.Length * 8; bit++)
        {
            using var receive = new CipherState(Key);
            var copy = record.ToArray();
            copy[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(receive.TryDecrypt([], copy));
        }

        using var other = new CipherState(Key);
        Assert.False(other.TryDecrypt([1], record.ToArray()));
        Assert.False(other.TryDecrypt([], new byte[15]));
    }

    [Fact]
    public void Encrypt_AtTheNonceLimit_ThrowsAndNeverWraps()
    {
        using var send = new CipherState(Key, CipherState.MaxNonce - 1);
        Seal(send, 1);
        Assert.Equal(CipherState.MaxNonce, send.Nonce);
        Assert.Throws<InvalidOperationException>(() => Seal(send, 1));
        using var receive = new CipherState(Key, CipherState.MaxNonce);
        Assert.Throws<InvalidOperationException>(() => receive.TryDecrypt([], new byte[16]));
    }

    [Fact]
    public void Encrypt_BufferWithoutRoomForTheTag_Throws()
    {
        using var send = new CipherState(Key);
        Assert.Throws<ArgumentException>(() => send.Encrypt([], new byte[20], 5));
        Assert.Throws<ArgumentException>(() => new CipherState(new byte[31]));
    }

    [Fact]
    public void Dispose_ThenUse_Throws()
    {
        var send = new CipherState(Key);
        send.Dispose();
        send.Dispose();
        Assert.Throws<ObjectDisposedException>(() => Seal(send, 1));
    }

    private static byte[] Seal(CipherState cipher, int length)
    {
        var buffer = new byte[length + CipherState.TagSize];
        cipher.Encrypt([], buffer, length);
        return buffer;
    }
}
