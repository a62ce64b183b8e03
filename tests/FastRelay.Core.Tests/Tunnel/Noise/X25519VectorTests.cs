namespace FastRelay.Tunnel.Noise;

/// <summary>
/// X25519 through <see cref="IDh"/>: Wycheproof (every all-zero shared secret must be refused; twist and
/// non-canonical points must give the listed value), RFC 7748 §5.2 scalar multiplication and iterations, §6.1 DH.
/// </summary>
public sealed class X25519VectorTests
{
    private static readonly X25519Dh Dh = X25519Dh.Instance;

    public static TheoryData<int> WycheproofIds()
    {
        var data = new TheoryData<int>();
        using var doc = VectorFiles.Json("x25519/wycheproof-x25519-trimmed.json");
        foreach (var test in doc.RootElement.GetProperty("testGroups")[0].GetProperty("tests").EnumerateArray())
        {
            data.Add(test.GetProperty("tcId").GetInt32());
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(WycheproofIds))]
    public void Wycheproof_Case_AgreesOrRejectsAllZero(int id)
    {
        using var doc = VectorFiles.Json("x25519/wycheproof-x25519-trimmed.json");
        var test = doc.RootElement.GetProperty("testGroups")[0].GetProperty("tests").EnumerateArray()
            .Single(t => t.GetProperty("tcId").GetInt32() == id);
        var expected = VectorFiles.Hex(test, "shared");
        var zero = test.GetProperty("flags").EnumerateArray().Any(f => f.GetString() == "ZeroSharedSecret");
        var shared = new byte[32];

        var ok = Dh.TryAgree(VectorFiles.Hex(test, "private"), VectorFiles.Hex(test, "public"), shared);

        Assert.NotEqual("invalid", test.GetProperty("result").GetString());
        Assert.Equal(!zero, ok);
        Assert.Equal(zero, expected.All(b => b == 0));
        Assert.Equal(expected, shared);
    }

    [Fact]
    public void Wycheproof_ZeroSharedSecretCases_All31Present()
    {
        using var doc = VectorFiles.Json("x25519/wycheproof-x25519-trimmed.json");
        var zeros = doc.RootElement.GetProperty("testGroups")[0].GetProperty("tests").EnumerateArray()
            .Count(t => t.GetProperty("flags").EnumerateArray().Any(f => f.GetString() == "ZeroSharedSecret"));
        Assert.Equal(31, zeros);
    }

    [Fact]
    public void Rfc7748_ScalarMultiplication_MatchesSection52()
    {
        foreach (var block in VectorFiles.KeyValueBlocks("x25519/pyca-rfc7748.txt"))
        {
            var shared = new byte[32];
            Assert.True(Dh.TryAgree(VectorFiles.Hex(block["INPUT_SCALAR"]), VectorFiles.Hex(block["INPUT_U"]), shared));
            Assert.Equal(VectorFiles.Hex(block["OUTPUT_U"]), shared);
        }
    }

    [Theory]
    [InlineData("1")]
    [InlineData("2")]
    public void Rfc7748_Iterated_MatchesSection52(string count)
    {
        var block = VectorFiles.KeyValueBlocks("x25519/rfc7748-iterated-and-dh.txt").Single(b => b["COUNT"] == count);
        var k = VectorFiles.Hex(block["INPUT_K"]);
        var u = VectorFiles.Hex(block["INPUT_U"]);
        var iterations = int.Parse(block["ITERATIONS"], System.Globalization.CultureInfo.InvariantCulture);
        for (var i = 0; i < iterations; i++)
        {
            var next = new byte[32];
            Dh.TryAgree(k, u, next);
            (k, u) = (next, k);
        }

        Assert.Equal(VectorFiles.Hex(block["OUTPUT_K"]), k);
    }

    [Fact]
    public void Rfc7748_AliceAndBob_DerivePublicKeysAndTheSameSecret()
    {
        var block = VectorFiles.KeyValueBlocks("x25519/rfc7748-iterated-and-dh.txt").Single(b => b["COUNT"] == "4");
        using var alice = Dh.DeriveKeyPair(VectorFiles.Hex(block["ALICE_PRIVATE"]));
        using var bob = Dh.DeriveKeyPair(VectorFiles.Hex(block["BOB_PRIVATE"]));
        Assert.Equal(VectorFiles.Hex(block["ALICE_PUBLIC"]), alice.PublicKey.ToArray());
        Assert.Equal(VectorFiles.Hex(block["BOB_PUBLIC"]), bob.PublicKey.ToArray());
        var ab = new byte[32];
        var ba = new byte[32];
        Assert.True(Dh.TryAgree(alice.PrivateKey, bob.PublicKey, ab));
        Assert.True(Dh.TryAgree(bob.PrivateKey, alice.PublicKey, ba));
        Assert.Equal(VectorFiles.Hex(block["SHARED"]), ab);
        Assert.Equal(ab, ba);
    }

    [Fact]
    public void GenerateKeyPair_TwoCalls_DifferAndAgree()
    {
        using var a = Dh.GenerateKeyPair();
        using var b = Dh.GenerateKeyPair();
        Assert.False(a.PublicKey.SequenceEqual(b.PublicKey));
        var ab = new byte[32];
        var ba = new byte[32];
        Assert.True(Dh.TryAgree(a.PrivateKey, b.PublicKey, ab));
        Assert.True(Dh.TryAgree(b.PrivateKey, a.PublicKey, ba));
        Assert.Equal(ab, ba);
    }

    [Fact]
    public void TryAgree_WrongSizes_Throw()
    {
        Assert.Throws<ArgumentException>(() => Dh.TryAgree(new byte[31], new byte[32], new byte[32]));
        Assert.Throws<ArgumentException>(() => Dh.TryAgree(new byte[32], new byte[33], new byte[32]));
    }
}
