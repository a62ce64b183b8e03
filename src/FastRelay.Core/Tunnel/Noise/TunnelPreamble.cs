using System.Buffers.Binary;
using System.Text;

namespace FastRelay.Tunnel.Noise;

/// <summary>
/// The 8 clear bytes an edge sends first, <c>"RTUN" ‖ u16 version ‖ u16 reserved</c>, and the XX prologue that binds
/// them (docs/PROTOCOL.md "Preamble"). Binding the preamble into the prologue means an attacker who rewrites the version
/// or reserved bytes breaks the handshake instead of downgrading it (Noise spec §14, "Rollback").
/// </summary>
public static class TunnelPreamble
{
    /// <summary>Size of the preamble.</summary>
    public const int Size = 8;

    /// <summary>The protocol version this build speaks.</summary>
    public const ushort Version = 1;

    /// <summary>The Noise protocol of epoch 0.</summary>
    public const string HandshakeProtocol = "Noise_XX_25519_ChaChaPoly_SHA256";

    private static readonly byte[] PrologueLabel = Encoding.ASCII.GetBytes("RTUN/1 " + HandshakeProtocol);

    /// <summary>"RTUN".</summary>
    public static ReadOnlySpan<byte> Magic => "RTUN"u8;

    /// <summary>Writes a preamble for <paramref name="version"/> with reserved = 0.</summary>
    public static void Write(Span<byte> destination, ushort version = Version)
    {
        Magic.CopyTo(destination);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], version);
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], 0);
    }

    /// <summary>Whether the first 4 bytes are "RTUN".</summary>
    public static bool HasMagic(ReadOnlySpan<byte> preamble) => preamble.Length >= 4 && preamble[..4].SequenceEqual(Magic);

    /// <summary>The version field of a preamble.</summary>
    public static ushort VersionOf(ReadOnlySpan<byte> preamble) => BinaryPrimitives.ReadUInt16BigEndian(preamble[4..]);

    /// <summary>The XX prologue: <c>"RTUN/1 Noise_XX_25519_ChaChaPoly_SHA256" ‖ preamble</c> (as sent, reserved bytes included).</summary>
    public static byte[] Prologue(ReadOnlySpan<byte> preamble)
    {
        var prologue = new byte[PrologueLabel.Length + Size];
        PrologueLabel.CopyTo(prologue, 0);
        preamble[..Size].CopyTo(prologue.AsSpan(PrologueLabel.Length));
        return prologue;
    }
}
