using System.Net;

namespace FastRelay.Filtering;

/// <summary>
/// The addresses, destination port and protocol a decision is taken on (policy-format.md, "The five-tuple";
/// the time travels beside it in <see cref="FilterRequest"/>). Addresses are <see cref="AddressKey"/>s so
/// that the struct holds no references and building one allocates nothing.
/// </summary>
internal readonly record struct FiveTuple
{
    /// <summary>Creates a tuple from address keys.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The port is outside 0..65535 or the protocol is <see cref="FilterProtocol.All"/>.</exception>
    public FiveTuple(UInt128 source, UInt128 destination, int destinationPort, FilterProtocol protocol = FilterProtocol.Tcp)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(destinationPort);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(destinationPort, PortSet.MaxPort);
        ArgumentOutOfRangeException.ThrowIfEqual(protocol, FilterProtocol.All);
        Source = source;
        Destination = destination;
        DestinationPort = destinationPort;
        Protocol = protocol;
    }

    /// <summary>The source address key (the client).</summary>
    public UInt128 Source { get; }

    /// <summary>The destination address key (the listener at Inbound, the upstream at Outbound).</summary>
    public UInt128 Destination { get; }

    /// <summary>The destination port.</summary>
    public int DestinationPort { get; }

    /// <summary>The transport protocol; a TCP relay always asks about <see cref="FilterProtocol.Tcp"/>.</summary>
    public FilterProtocol Protocol { get; }

    /// <summary>Creates a tuple from addresses (IPv4-mapped IPv6 counts as IPv4). Allocation-free.</summary>
    public static FiveTuple Create(IPAddress source, IPAddress destination, int destinationPort, FilterProtocol protocol = FilterProtocol.Tcp) =>
        new(AddressKey.From(source), AddressKey.From(destination), destinationPort, protocol);

    /// <inheritdoc />
    public override string ToString()
    {
        var destination = AddressKey.ToAddress(Destination);
        var host = AddressKey.IsIPv4(Destination) ? destination.ToString() : $"[{destination}]";
        return $"{Protocol.ToString().ToUpperInvariant()} {AddressKey.ToAddress(Source)} -> {host}:{DestinationPort}";
    }
}
