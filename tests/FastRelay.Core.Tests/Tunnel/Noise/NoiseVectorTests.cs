using System.Text.Json;

namespace FastRelay.Tunnel.Noise;

/// <summary>
/// Replays the cacophony and snow vectors (Noise_*_25519_ChaChaPoly_SHA256) through HandshakeState and
/// CipherState: every handshake message byte for byte, the handshake hash, and the transport messages after Split.
/// XX and KK are what the tunnel uses; the other patterns check more of the same core.
/// </summary>
public sealed class NoiseVectorTests
{
    public static TheoryData<string, int> Vectors()
    {
        var data = new TheoryData<string, int>();
        foreach (var file in new[] { "noise/cacophony-25519-chachapoly-sha256-blake2s.json", "noise/snow-25519-chachapoly-sha256-blake2s.json" })
        {
            using var doc = VectorFiles.Json(file);
            var index = 0;
            foreach (var vector in doc.RootElement.GetProperty("vectors").EnumerateArray())
            {
                if (vector.GetProperty("protocol_name").GetString()!.EndsWith("_SHA256", StringComparison.Ordinal))
                {
                    data.Add(file, index);
                }

                index++;
            }
        }

        return data;
    }

    [Fact]
    public void Vectors_CoverXxAndKkFromBothGenerators()
    {
        var names = ((IEnumerable<object[]>)Vectors()).Select(row => NameOf((string)row[0], (int)row[1])).ToList();
        Assert.Equal(2, names.Count(n => n == "Noise_XX_25519_ChaChaPoly_SHA256"));
        Assert.Equal(2, names.Count(n => n == "Noise_KK_25519_ChaChaPoly_SHA256"));
        Assert.Equal(14, names.Count);
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Replay_PublishedVector_MatchesEveryMessage(string file, int index)
    {
        using var doc = VectorFiles.Json(file);
        var vector = doc.RootElement.GetProperty("vectors")[index];
        var name = vector.GetProperty("protocol_name").GetString()!;
        var pattern = HandshakePattern.FromName(name.Split('_')[1]);
        Assert.NotNull(pattern);

        using var initiator = CreateSide(pattern, vector, "init", isInitiator: true);
        using var responder = CreateSide(pattern, vector, "resp", isInitiator: false);
        CipherState? initSend = null, initRecv = null, respSend = null, respRecv = null;
        var i = 0;
        foreach (var message in vector.GetProperty("messages").EnumerateArray())
        {
            var payload = VectorFiles.Hex(message, "payload");
            var expected = VectorFiles.Hex(message, "ciphertext");
            var fromInitiator = i % 2 == 0;
            if (!initiator.IsComplete)
            {
                var (writer, reader) = fromInitiator ? (initiator, responder) : (responder, initiator);
                var buffer = new byte[payload.Length + 256];
                Assert.True(writer.TryWriteMessage(payload, buffer, out var written), $"{name} message {i}: write");
                Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(buffer, 0, written));
                var read = new byte[expected.Length];
                Assert.True(reader.TryReadMessage(expected, read, out var readLength), $"{name} message {i}: read");
                Assert.Equal(payload, read[..readLength]);
                if (initiator.IsComplete)
                {
                    Assert.True(responder.IsComplete);
                    Assert.Equal(initiator.GetHandshakeHash(), responder.GetHandshakeHash());
                    if (vector.TryGetProperty("handshake_hash", out _))
                    {
                        Assert.Equal(VectorFiles.Hex(vector, "handshake_hash"), initiator.GetHandshakeHash());
                    }

                    (initSend, initRecv) = initiator.Split();
                    (respRecv, respSend) = responder.Split();
                }
            }
            else
            {
                // Transport messages: the sender's Split() cipher, empty associated data, in place.
                var (send, receive) = fromInitiator ? (initSend!, respRecv!) : (respSend!, initRecv!);
                var buffer = new byte[payload.Length + CipherState.TagSize];
                payload.CopyTo(buffer, 0);
                send.Encrypt(ReadOnlySpan<byte>.Empty, buffer, payload.Length);
                Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(buffer));
                Assert.True(receive.TryDecrypt(ReadOnlySpan<byte>.Empty, buffer));
                Assert.Equal(payload, buffer[..payload.Length]);
            }

            i++;
        }

        Assert.True(initiator.IsComplete);
        foreach (var cipher in new[] { initSend, initRecv, respSend, respRecv })
        {
            cipher?.Dispose();
        }
    }

    private static HandshakeState CreateSide(HandshakePattern pattern, JsonElement vector, string prefix, bool isInitiator)
    {
        var staticKey = VectorFiles.Hex(vector, prefix + "_static");
        var remoteStatic = VectorFiles.Hex(vector, prefix + "_remote_static");
        byte[]? psk = null;
        if (vector.TryGetProperty(prefix + "_psks", out var psks) && psks.GetArrayLength() > 0)
        {
            psk = Convert.FromHexString(psks[0].GetString()!);
        }

        var dh = X25519Dh.Instance;
        var ephemeral = dh.DeriveKeyPair(VectorFiles.Hex(vector, prefix + "_ephemeral"));
        return HandshakeState.CreateWithFixedEphemeral(pattern, isInitiator, VectorFiles.Hex(vector, prefix + "_prologue"),
            staticKey.Length == 0 ? null : dh.DeriveKeyPair(staticKey), remoteStatic, dh, psk, ephemeral);
    }

    private static string NameOf(string file, int index)
    {
        using var doc = VectorFiles.Json(file);
        return doc.RootElement.GetProperty("vectors")[index].GetProperty("protocol_name").GetString()!;
    }
}
