using System.Buffers.Binary;
using System.Text;

namespace FastRelay.Tunnel.Identity;

/// <summary>
/// The message a certificate's key signs in CA mode to vouch for a Noise static key (docs/PROTOCOL.md "CA mode";
/// libp2p signs <c>"noise-libp2p-static-key:" ‖ static</c> the same way):
/// <c>"RTUN/1 static-key binding\0" ‖ rs(32) ‖ u64 BE not_after ‖ role</c>. The label separates it from any other
/// signature the key makes; not_after bounds a stolen static key; the role byte stops an edge's binding from being
/// replayed as an exit's.
/// </summary>
internal static class StaticKeyBinding
{
    /// <summary>The role byte of the initiator (edge).</summary>
    public const byte InitiatorRole = (byte)'I';

    /// <summary>The role byte of the responder (exit/gateway).</summary>
    public const byte ResponderRole = (byte)'R';

    private static readonly byte[] Label = Encoding.ASCII.GetBytes("RTUN/1 static-key binding\0");

    /// <summary>The bytes to sign or verify.</summary>
    /// <exception cref="ArgumentException">The key is not 32 bytes or the role is not I or R.</exception>
    public static byte[] BuildMessage(ReadOnlySpan<byte> staticKey, ulong notAfterUnixSeconds, byte role)
    {
        if (staticKey.Length != 32)
        {
            throw new ArgumentException($"must be 32 bytes (got {staticKey.Length})", nameof(staticKey));
        }

        if (role is not InitiatorRole and not ResponderRole)
        {
            throw new ArgumentException($"must be 'I' or 'R' (got 0x{role:x2})", nameof(role));
        }

        var message = new byte[Label.Length + 32 + 8 + 1];
        Label.CopyTo(message, 0);
        staticKey.CopyTo(message.AsSpan(Label.Length));
        BinaryPrimitives.WriteUInt64BigEndian(message.AsSpan(Label.Length + 32), notAfterUnixSeconds);
        message[^1] = role;
        return message;
    }
}
