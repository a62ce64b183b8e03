namespace FastRelay.Tunnel.Noise;

/// <summary>
/// The native path's own contract (the vectors run through both paths in <see cref="AeadVectorTests"/>): it is really
/// in use on Linux, agrees with the BCL on every size around the 64-byte ChaCha block, and fails closed. Like the
/// OpenSsl rows of the vector tests, these need Linux with libcrypto.so.3 (the CI image).
/// </summary>
public sealed class OpenSslChaCha20Poly1305Tests
{
    private static readonly byte[] Key = Enumerable.Range(9, 32).Select(i => (byte)i).ToArray();

    [Fact]
    public void DefaultImplementation_OnLinux_IsOpenSslAndItsSelfTestPasses()
    {
        // Guards against the vector tests silently exercising the fallback only.
        Assert.Equal(OperatingSystem.IsLinux(), OpenSslChaCha20Poly1305.Probe());
        Assert.Equal(OperatingSystem.IsLinux() ? AeadImplementation.OpenSsl : AeadImplementation.Bcl, CipherState.DefaultImplementation);
        using var cipher = new CipherState(Key);
        Assert.Equal(CipherState.DefaultImplementation, cipher.Implementation);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 2)]
    [InlineData(63, 13)]
    [InlineData(64, 0)]
    [InlineData(65, 2)]
    [InlineData(16_384, 2)]
    [InlineData(65_535, 2)]
    public void Encrypt_ManyRecords_SameBytesAsTheBclAndOpensByTheBcl(int length, int adLength)
    {
        using var native = new CipherState(Key, 0, 0, CipherState.MaxNonce, AeadImplementation.OpenSsl);
        using var bcl = new CipherState(Key, 0, 0, CipherState.MaxNonce, AeadImplementation.Bcl);
        using var bclReceiver = new CipherState(Key, 0, 0, CipherState.MaxNonce, AeadImplementation.Bcl);
        var random = new Random(length);
        var ad = new byte[adLength];
        for (var record = 0; record < 3; record++)
        {
            var plaintext = new byte[length];
            random.NextBytes(plaintext);
            random.NextBytes(ad);
            var a = Seal(native, ad, plaintext);
            var b = Seal(bcl, ad, plaintext);
            Assert.Equal(b, a);
            Assert.True(bclReceiver.TryDecrypt(ad, a));
            Assert.Equal(plaintext, a[..length]);
        }
    }

    [Fact]
    public void TryDecrypt_WrongTag_ReturnsFalseZeroesThePlaintextAndKeepsTheNonce()
    {
        using var send = new CipherState(Key, 0, 0, CipherState.MaxNonce, AeadImplementation.OpenSsl);
        using var receive = new CipherState(Key, 0, 0, CipherState.MaxNonce, AeadImplementation.OpenSsl);
        var good = Seal(send, [0, 40], new byte[40]);
        var bad = good.ToArray();
        bad[^1] ^= 0x80;
        Assert.False(receive.TryDecrypt([0, 40], bad));
        Assert.All(bad[..40], b => Assert.Equal(0, b));
        Assert.Equal(0UL, receive.Nonce);

        // The context is reusable after a failure: the next init resets the MAC state.
        Assert.True(receive.TryDecrypt([0, 40], good));
        Assert.Equal(1UL, receive.Nonce);
    }

    [Fact]
    public void Dispose_ThenUse_ThrowsAndDisposeIsIdempotent()
    {
        var cipher = new OpenSslChaCha20Poly1305(Key);
        cipher.Dispose();
        cipher.Dispose();
        Assert.Throws<ObjectDisposedException>(() => cipher.Encrypt(new byte[12], [], [], new byte[16], []));
    }

    private static byte[] Seal(CipherState cipher, byte[] ad, byte[] plaintext)
    {
        var buffer = new byte[plaintext.Length + CipherState.TagSize];
        plaintext.CopyTo(buffer, 0);
        cipher.Encrypt(ad, buffer, plaintext.Length);
        return buffer;
    }
}
