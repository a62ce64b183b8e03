using System.Security.Cryptography;
using System.Text.Json;

namespace FastRelay.Tunnel.Noise;

/// <summary>
/// ChaCha20-Poly1305 vectors (Wycheproof, RFC 8439 via pyca/OpenSSL), all through <see cref="CipherState"/> on BOTH
/// implementations (the native OpenSSL path and the BCL fallback must agree byte for byte): each 96-bit
/// nonce is injected as the test seam's prefix and counter (production: prefix 0, counter from 0). Nonces of other sizes
/// cannot be expressed by our wrapper; the BCL it wraps must refuse them.
/// </summary>
public sealed class AeadVectorTests
{
    public static TheoryData<int, AeadImplementation> WycheproofIds()
    {
        var data = new TheoryData<int, AeadImplementation>();
        using var doc = VectorFiles.Json("aead/wycheproof-chacha20-poly1305-trimmed.json");
        foreach (var group in doc.RootElement.GetProperty("testGroups").EnumerateArray())
        {
            foreach (var test in group.GetProperty("tests").EnumerateArray())
            {
                data.Add(test.GetProperty("tcId").GetInt32(), AeadImplementation.OpenSsl);
                data.Add(test.GetProperty("tcId").GetInt32(), AeadImplementation.Bcl);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(WycheproofIds))]
    public void Wycheproof_Case_MatchesExpectedResult(int id, AeadImplementation implementation)
    {
        var (ivBits, test) = Find(id);
        var key = VectorFiles.Hex(test, "key");
        var iv = VectorFiles.Hex(test, "iv");
        var aad = VectorFiles.Hex(test, "aad");
        var msg = VectorFiles.Hex(test, "msg");
        var ct = VectorFiles.Hex(test, "ct");
        var tag = VectorFiles.Hex(test, "tag");
        var valid = test.GetProperty("result").GetString() == "valid";
        if (ivBits != 96)
        {
            // Our nonce is always 12 bytes by construction; the BCL refuses any other size before doing anything.
            using var aead = new ChaCha20Poly1305(key);
            Assert.False(valid);
            Assert.ThrowsAny<ArgumentException>(() => aead.Decrypt(iv, ct, tag, new byte[ct.Length], aad));
            return;
        }

        var sealedBytes = ct.Concat(tag).ToArray();
        var prefix = BitConverter.ToUInt32(iv, 0);
        var n = BitConverter.ToUInt64(iv, 4);
        using var sender = new CipherState(key, prefix, n, ulong.MaxValue, implementation);
        var buffer = new byte[msg.Length + CipherState.TagSize];
        msg.CopyTo(buffer, 0);
        sender.Encrypt(aad, buffer, msg.Length);
        Assert.Equal(valid, buffer.AsSpan().SequenceEqual(sealedBytes));
        Assert.Equal(n + 1, sender.Nonce);

        using var receiver = new CipherState(key, prefix, n, ulong.MaxValue, implementation);
        var opened = sealedBytes.ToArray();
        Assert.Equal(valid, receiver.TryDecrypt(aad, opened));
        Assert.Equal(valid ? n + 1 : n, receiver.Nonce);
        if (valid)
        {
            Assert.Equal(msg, opened[..msg.Length]);
        }
    }

    [Theory]
    [InlineData(AeadImplementation.OpenSsl)]
    [InlineData(AeadImplementation.Bcl)]
    public void Rfc8439AppendixA5_ThroughCipherState_DecryptsAndRejectsTheCorruptedTag(AeadImplementation implementation)
    {
        var blocks = VectorFiles.KeyValueBlocks("aead/pyca-chacha20poly1305-openssl-rfc7539-A5.txt");
        Assert.Equal(2, blocks.Count);
        foreach (var block in blocks)
        {
            var iv = VectorFiles.Hex(block["IV"]);
            Assert.True(TryNonceCounter(iv, out var n));
            using var receiver = new CipherState(VectorFiles.Hex(block["Key"]), 0, n, CipherState.MaxNonce, implementation);
            var buffer = VectorFiles.Hex(block["Ciphertext"]).Concat(VectorFiles.Hex(block["Tag"])).ToArray();
            var ok = receiver.TryDecrypt(VectorFiles.Hex(block["AAD"]), buffer);
            Assert.Equal(!block.ContainsKey("Result"), ok);
            if (ok)
            {
                Assert.Equal(VectorFiles.Hex(block["Plaintext"]), buffer[..^CipherState.TagSize]);
            }
        }
    }

    private static bool TryNonceCounter(byte[] iv, out ulong n)
    {
        n = iv.Length == 12 ? BitConverter.ToUInt64(iv, 4) : 0;
        return iv.Length == 12 && iv[0] == 0 && iv[1] == 0 && iv[2] == 0 && iv[3] == 0 && n < CipherState.MaxNonce;
    }

    private static (int IvBits, JsonElement Test) Find(int id)
    {
        var doc = VectorFiles.Json("aead/wycheproof-chacha20-poly1305-trimmed.json");
        foreach (var group in doc.RootElement.GetProperty("testGroups").EnumerateArray())
        {
            foreach (var test in group.GetProperty("tests").EnumerateArray())
            {
                if (test.GetProperty("tcId").GetInt32() == id)
                {
                    return (group.GetProperty("ivSize").GetInt32(), test.Clone());
                }
            }
        }

        throw new InvalidOperationException($"tcId {id} not found");
    }
}
