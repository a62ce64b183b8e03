using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FastRelay.Tunnel.Frames;
using FastRelay.Tunnel.Handshake;
using FastRelay.Tunnel.Identity;
using FastRelay.Tunnel.Noise;

namespace FastRelay.Fuzz;

/// <summary>
/// <c>fastrelay-fuzz --seeds DIR</c>: writes the seed inputs of the tunnel targets into <c>DIR/frame/</c> and
/// <c>DIR/handshake/</c>, made with the codecs the tunnel itself uses (FrameWriter, TunnelTargetCodec,
/// IdentityPayloadCodec, a real Noise initiator), so the fuzzer starts from well-formed transcripts.
/// </summary>
internal static class TunnelSeeds
{
    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuth = "1.3.6.1.5.5.7.3.2";

    public static int Write(string root)
    {
        var frames = Directory.CreateDirectory(Path.Combine(root, "frame")).FullName;
        foreach (var (name, bytes) in FrameSeeds())
        {
            File.WriteAllBytes(Path.Combine(frames, name), bytes);
        }

        var handshakes = Directory.CreateDirectory(Path.Combine(root, "handshake")).FullName;
        foreach (var (name, bytes) in HandshakeSeeds())
        {
            File.WriteAllBytes(Path.Combine(handshakes, name), bytes);
        }

        Console.WriteLine($"fastrelay-fuzz: seeds written to {frames} and {handshakes}");
        return 0;
    }

    private static IEnumerable<(string Name, byte[] Bytes)> FrameSeeds()
    {
        var data = Frame(b => FrameWriter.WriteDataHeader(b, 1, 5, false) + Copy("hello"u8, b.AsSpan(FrameHeader.Size)));
        yield return ("data.bin", data);
        yield return ("data-fin-empty.bin", Frame(b => FrameWriter.WriteDataHeader(b, 3, 0, true)));
        yield return ("window-update.bin", Frame(b => FrameWriter.WriteWindowUpdate(b, 1, 65536)));
        yield return ("rst.bin", Frame(b => FrameWriter.WriteRst(b, 1, TunnelErrorCode.Cancel)));
        yield return ("open-ok.bin", Frame(b => FrameWriter.WriteOpenOk(b, 1)));
        yield return ("open-address.bin", Open(TunnelTarget.ForAddress(IPAddress.Parse("10.0.0.7"), 443, new IPEndPoint(IPAddress.Parse("192.0.2.1"), 51000))));
        yield return ("open-v6.bin", Open(TunnelTarget.ForAddress(IPAddress.IPv6Loopback, 8443)));
        yield return ("open-host.bin", Open(TunnelTarget.ForHost("db.internal.example", 5432)));
        yield return ("open-route.bin", Open(TunnelTarget.ForRoute("billing")));
        yield return ("ping.bin", Frame(b => FrameWriter.WritePing(b, false, 0x0102030405060708)));
        yield return ("ping-ack.bin", Frame(b => FrameWriter.WritePing(b, true, 42)));
        yield return ("goaway.bin", Frame(b => FrameWriter.WriteGoAway(b, 7, TunnelErrorCode.EnhanceYourCalm, "flood of Pings")));
        yield return ("rekey-init.bin", Frame(b => FrameWriter.WriteRekey(b, FrameFlags.RekeyInit, 1, new byte[FrameLimits.RekeyMessageSize])));
        yield return ("rekey-done.bin", Frame(b => FrameWriter.WriteRekey(b, FrameFlags.RekeyDone, 1, [])));
        yield return ("extension.bin", [0x80, 0, 0, 0, 0, 0, 0, 0, 0]);
        yield return ("record-many.bin", [.. data, .. Frame(b => FrameWriter.WritePing(b, false, 1)), .. Frame(b => FrameWriter.WriteWindowUpdate(b, 1, 5)), .. data]);
    }

    private static IEnumerable<(string Name, byte[] Bytes)> HandshakeSeeds()
    {
        var preamble = new byte[TunnelPreamble.Size];
        TunnelPreamble.Write(preamble);
        using (var noise = HandshakeState.Create(HandshakePattern.XX, true, TunnelPreamble.Prologue(preamble), HandshakeHarness.EdgeKey, [], X25519Dh.Instance))
        {
            var msg1 = new byte[TunnelHandshake.Msg1Size];
            _ = noise.TryWriteMessage([], msg1, out _);
            byte[] first = [.. preamble, 0, (byte)TunnelHandshake.Msg1Size, .. msg1];

            // Mode 0: the edge's bytes as the gateway reads them.
            yield return ("0-preamble-msg1.bin", [0, .. first]);
            yield return ("0-preamble-msg1-msg3.bin", [0, .. first, 0, 80, .. new byte[80]]);
            yield return ("0-bad-magic.bin", [0, .. "XTUN"u8, 0, 1, 0, 0]);
            yield return ("0-other-version.bin", [0, .. "RTUN"u8, 0, 9, 0, 0]);
            yield return ("0-msg1-too-long.bin", [0, .. preamble, 0, 33, .. new byte[33]]);
        }

        // Modes 1 and 2: identity payloads (the plaintext of msg3 and msg2) the harness seals with real Noise.
        using var edge = Credential("fuzz-edge", ClientAuth);
        using var gateway = Credential("fuzz-gateway", ServerAuth);
        var settings = TunnelSettingsCodec.Encode(new TunnelSettings());
        yield return ("1-edge-identity.bin", [1, .. Identity(edge, HandshakeHarness.EdgeKey, StaticKeyBinding.InitiatorRole, "fuzz-edge", settings)]);
        yield return ("1-edge-identity-wrong-role.bin", [1, .. Identity(edge, HandshakeHarness.EdgeKey, StaticKeyBinding.ResponderRole, "fuzz-edge", settings)]);
        yield return ("1-name-only.bin", [1, .. IdentityPayloadCodec.Encode(new IdentityPayload("fuzz-edge", [], null, null, settings))]);
        yield return ("1-empty.bin", [1]);
        yield return ("2-gateway-identity.bin", [2, .. Identity(gateway, HandshakeHarness.GatewayKey, StaticKeyBinding.ResponderRole, "fuzz-gateway", settings)]);
        yield return ("2-settings-small-window.bin", [2, .. Identity(gateway, HandshakeHarness.GatewayKey, StaticKeyBinding.ResponderRole, null,
            TunnelSettingsCodec.Encode(new TunnelSettings(MaxRecord: 2048, InitialWindow: 65536, MaxStreams: 1)))]);

        // Mode 3: the gateway's raw answer as the edge reads it.
        yield return ("3-other-version.bin", [3, .. "RTUN"u8, 0, 9, 0, 0]);
        yield return ("3-msg2-garbage.bin", [3, 0, 96, .. new byte[96]]);
        yield return ("3-msg2-too-long.bin", [3, 0x40, 0x01]);
    }

    private static byte[] Identity(TunnelCredential credential, KeyPair staticKey, byte role, string? name, byte[] settings)
    {
        var (signature, notAfter) = credential.SignBinding(staticKey.PublicKey, role, HandshakeHarness.Now);
        return IdentityPayloadCodec.Encode(new IdentityPayload(name, credential.ChainDer, signature, notAfter, settings));
    }

    private static TunnelCredential Credential(string name, string eku)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(eku)], false));
        using var caKey = HandshakeHarness.Root.GetECDsaPrivateKey()!;
        using var issued = request.Create(HandshakeHarness.Root.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey),
            HandshakeHarness.Now.AddDays(-30), HandshakeHarness.Now.AddYears(3), [1, 2, 3, 4, 5, 6, 7, 8]);
        return new TunnelCredential(issued.CopyWithPrivateKey(key), null, TimeSpan.FromDays(365));
    }

    private static byte[] Open(TunnelTarget target)
    {
        var encoded = new byte[TunnelTargetCodec.GetSize(target)];
        TunnelTargetCodec.Write(target, encoded);
        return Frame(b => FrameWriter.WriteOpen(b, 1, encoded));
    }

    private static byte[] Frame(Func<byte[], int> write)
    {
        var buffer = new byte[2048];
        return buffer[..write(buffer)];
    }

    private static int Copy(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        source.CopyTo(destination);
        return source.Length;
    }
}
