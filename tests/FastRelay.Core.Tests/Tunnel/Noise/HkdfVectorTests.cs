using System.Security.Cryptography;

namespace FastRelay.Tunnel.Noise;

/// <summary>
/// HKDF-SHA256 (RFC 5869, Wycheproof) through the BCL <see cref="HKDF"/> that <see cref="NoiseHkdf"/> calls, and the
/// cases with empty info through NoiseHkdf itself (its outputs are the first 64 bytes of the same expansion).
/// </summary>
public sealed class HkdfVectorTests
{
    [Fact]
    public void Wycheproof_EveryCase_MatchesOrThrowsForTooLarge()
    {
        using var doc = VectorFiles.Json("hkdf/wycheproof-hkdf-sha256-trimmed.json");
        var checkedCases = 0;
        foreach (var group in doc.RootElement.GetProperty("testGroups").EnumerateArray())
        {
            foreach (var test in group.GetProperty("tests").EnumerateArray())
            {
                var ikm = VectorFiles.Hex(test, "ikm");
                var salt = VectorFiles.Hex(test, "salt");
                var info = VectorFiles.Hex(test, "info");
                var size = test.GetProperty("size").GetInt32();
                if (test.GetProperty("result").GetString() == "invalid")
                {
                    Assert.ThrowsAny<ArgumentException>(() => HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, size, salt, info));
                }
                else
                {
                    Assert.Equal(VectorFiles.Hex(test, "okm"), HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, size, salt, info));
                    CheckNoiseHkdfPrefix(ikm, salt, info, VectorFiles.Hex(test, "okm"));
                }

                checkedCases++;
            }
        }

        Assert.Equal(19, checkedCases);
    }

    [Fact]
    public void Rfc5869_AllThreeCases_MatchPrkAndOkm()
    {
        foreach (var block in VectorFiles.KeyValueBlocks("hkdf/pyca-rfc-5869-HKDF-SHA256.txt"))
        {
            var ikm = VectorFiles.Hex(block["IKM"]);
            var salt = VectorFiles.Hex(block["salt"]);
            var info = VectorFiles.Hex(block["info"]);
            var length = int.Parse(block["L"], System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(VectorFiles.Hex(block["PRK"]), HKDF.Extract(HashAlgorithmName.SHA256, ikm, salt));
            Assert.Equal(VectorFiles.Hex(block["OKM"]), HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, length, salt, info));
            CheckNoiseHkdfPrefix(ikm, salt, info, VectorFiles.Hex(block["OKM"]));
        }
    }

    [Fact]
    public void NoiseHkdf_EmptyInputKeyMaterial_MatchesTheHmacDefinition()
    {
        // Noise §4.3: temp_key = HMAC(ck, ikm); output1 = HMAC(temp_key, 0x01); output2 = HMAC(temp_key, output1 ‖ 0x02).
        var ck = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        var temp = HMACSHA256.HashData(ck, Array.Empty<byte>());
        var o1 = HMACSHA256.HashData(temp, new byte[] { 1 });
        var o2 = HMACSHA256.HashData(temp, o1.Append((byte)2).ToArray());
        var output = new byte[64];
        NoiseHkdf.Derive(ck, [], output);
        Assert.Equal(o1.Concat(o2).ToArray(), output);
    }

    private static void CheckNoiseHkdfPrefix(byte[] ikm, byte[] salt, byte[] info, byte[] okm)
    {
        if (info.Length != 0 || salt.Length == 0)
        {
            return;
        }

        var output = new byte[64];
        NoiseHkdf.Derive(salt, ikm, output);
        var n = Math.Min(64, okm.Length);
        Assert.Equal(okm[..n], output[..n]);
    }
}
