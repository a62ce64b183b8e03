using System.Text;
using FastRelay.Tunnel.Identity;

namespace FastRelay.Configuration;

/// <summary>
/// A node's name (<c>--audit-node</c>; the gateway's <c>--node-name</c>). It goes into audit rows and, in the tunnel
/// handshake, into the peer's logs, where more than 255 UTF-8 bytes or a control character fails the handshake
/// (<see cref="IdentityPayloadCodec"/>): checked when the flags are read, so a bad name is a config error at start,
/// not a gateway every edge refuses.
/// </summary>
public static class NodeNameSyntax
{
    /// <summary>What a valid name looks like, for errors.</summary>
    public const string Expected = "expected a node name of 1 to 255 bytes (UTF-8) of printable characters without spaces";

    /// <summary>True for 1 to 255 UTF-8 bytes of whole characters, none of them a control or white-space character.</summary>
    public static bool IsValid(string name)
    {
        var bytes = 0;
        foreach (var rune in name.EnumerateRunes())
        {
            // A lone surrogate comes out as U+FFFD: the peer would read a name other than the one given.
            if (rune == Rune.ReplacementChar || Rune.IsControl(rune) || Rune.IsWhiteSpace(rune))
            {
                return false;
            }

            bytes += rune.Utf8SequenceLength;
        }

        return bytes is > 0 and <= IdentityPayloadCodec.MaxNodeNameBytes;
    }
}
