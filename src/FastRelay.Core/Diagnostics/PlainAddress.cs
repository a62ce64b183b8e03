using System.Net;

namespace FastRelay.Diagnostics;

/// <summary>
/// Addresses as logs, audit rows and per-address keys show them: an IPv4-mapped IPv6 address (what a dual-stack
/// <c>[::]</c> listener sees for an IPv4 client, and its own local address then) as the IPv4 address it is, so that
/// one client is one spelling in <c>src_ip</c>, <c>listener</c> and a detail alike.
/// </summary>
public static class PlainAddress
{
    /// <summary><paramref name="address"/>, unmapped if it is IPv4-mapped.</summary>
    public static IPAddress Of(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
    }

    /// <summary><paramref name="endPoint"/> with its address unmapped; the same instance when there is nothing to unmap.</summary>
    public static IPEndPoint? Of(IPEndPoint? endPoint) =>
        endPoint is null || !endPoint.Address.IsIPv4MappedToIPv6 ? endPoint : new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port);
}
