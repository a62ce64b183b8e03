using System.Text;
using FastRelay.Tunnel.Identity;

namespace FastRelay.Configuration;

/// <summary>
/// A node's name (<c>--audit-node</c>; the gateway's <c>--node-name</c>). It goes into audit rows, so it is printable and
/// has no spaces; and where it goes into the tunnel handshake (the gateway's name, an edge's with <c>--gateway</c>) it
/// must also fit the peer's limit of 255 UTF-8 bytes (<see cref="IdentityPayloadCodec"/>), or every peer refuses the
/// handshake: checked when the flags are read, so that is a config error at start.
/// </summary>
public static class NodeNameSyntax
{
    /// <summary>What a valid name looks like, for errors.</summary>
    public const string Expected = "expected a node name of 1 to 255 printable characters without spaces";

    /// <summary>What a name sent in the tunnel handshake must also be, for errors.</summary>
    public const string ExpectedInHandshake = "expected a node name of 1 to 255 printable characters without spaces, at most 255 bytes in UTF-8 (it is sent in the tunnel handshake)";

    /// <summary>True for 1 to 255 whole characters, none of them a control or white-space character.</summary>
    public static bool IsValid(string name)
    {
        var characters = 0;
        foreach (var rune in name.EnumerateRunes())
        {
            // A lone surrogate comes out as U+FFFD: stored or sent, it would read as another name.
            if (rune == Rune.ReplacementChar || Rune.IsControl(rune) || Rune.IsWhiteSpace(rune))
            {
                return false;
            }

            characters++;
        }

        return characters is > 0 and <= 255;
    }

    /// <summary><see cref="IsValid"/>, and at most 255 bytes in UTF-8: what the tunnel handshake carries.</summary>
    public static bool FitsHandshake(string name) =>
        IsValid(name) && Encoding.UTF8.GetByteCount(name) <= IdentityPayloadCodec.MaxNodeNameBytes;
}
