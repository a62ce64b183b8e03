using System.Net;

namespace FastRelay.Upstreams;

/// <summary>
/// The address a TCP connect to an address actually reaches, so the Outbound rules judge (and the audit names) the
/// peer, not its spelling.
/// </summary>
/// <remarks>
/// Linux connects the unspecified address (<c>0.0.0.0</c>, <c>::</c>) to this host, as if it were loopback: a target
/// of <c>0.0.0.0:9901</c> reached a gateway's own admin port past a rule denying <c>127.0.0.0/8</c>. An IPv4-mapped
/// IPv6 address (<c>::ffff:a.b.c.d</c>) is the IPv4 peer (and an IPv6 socket that is not dual-mode cannot reach it).
/// </remarks>
internal static class ReachedAddress
{
    /// <summary>What dialling <paramref name="address"/> reaches: loopback for the unspecified address, IPv4 for a mapped one.</summary>
    public static IPAddress Of(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var plain = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        return !IsUnspecified(plain) ? plain
            : plain.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? IPAddress.Loopback
            : IPAddress.IPv6Loopback;
    }

    // By its bytes: IPAddress.Equals also compares an IPv6 scope id, and "::%1" reaches this host as "::" does.
    private static bool IsUnspecified(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        return address.TryWriteBytes(bytes, out var written) && !bytes[..written].ContainsAnyExcept((byte)0);
    }
}
