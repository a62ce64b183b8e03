using System.Net;

namespace FastRelay.Tunnel.Frames;

/// <summary>
/// Where a stream goes: an address, a DNS name or a gateway-side named route, and a port; plus, for the
/// gateway's logs only, the client the edge accepted. Immutable; create with the factory methods, which
/// check every field, or read one from an OPEN with <see cref="TunnelTargetCodec"/>.
/// </summary>
public sealed record TunnelTarget
{
    private TunnelTarget(TunnelTargetKind kind, string host, IPAddress? address, int port, IPEndPoint? client)
    {
        Kind = kind;
        Host = host;
        Address = address;
        Port = port;
        ClientAddress = client;
    }

    /// <summary>How the target is named.</summary>
    public TunnelTargetKind Kind { get; }

    /// <summary>The address text, DNS name or route name.</summary>
    public string Host { get; }

    /// <summary>The address for <see cref="TunnelTargetKind.IPv4"/> and <see cref="TunnelTargetKind.IPv6"/>; null otherwise.</summary>
    public IPAddress? Address { get; }

    /// <summary>The TCP port, 1-65535 (0 for a named route, whose port the gateway decides).</summary>
    public int Port { get; }

    /// <summary>The edge's client, carried for the gateway's logs (optional TLV).</summary>
    public IPEndPoint? ClientAddress { get; }

    /// <summary>A literal address; IPv4-mapped IPv6 addresses are sent as IPv4.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="port"/> is not 1-65535.</exception>
    public static TunnelTarget ForAddress(IPAddress address, int port, IPEndPoint? client = null)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        // The byte count tells the family without naming System.Net.Sockets (banned in Core).
        var kind = address.TryWriteBytes(stackalloc byte[16], out var written) && written == 4 ? TunnelTargetKind.IPv4 : TunnelTargetKind.IPv6;
        return new TunnelTarget(kind, address.ToString(), address, port, client);
    }

    /// <summary>A DNS name (1-255 letters, digits, '-', '_' and '.') the gateway resolves; a literal address becomes <see cref="ForAddress"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="host"/> is not a valid name, or <paramref name="port"/> is not 1-65535.</exception>
    public static TunnelTarget ForHost(string host, int port, IPEndPoint? client = null)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (IPAddress.TryParse(host, out var address))
        {
            return ForAddress(address, port, client);
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        if (TunnelTargetCodec.CheckName(host) is { } problem)
        {
            throw new ArgumentException($"target host '{host}': {problem}", nameof(host));
        }

        return new TunnelTarget(TunnelTargetKind.Dns, host, null, port, client);
    }

    /// <summary>A route the gateway defines by name (same characters as a DNS name); <paramref name="port"/> may be 0.</summary>
    /// <exception cref="ArgumentException"><paramref name="name"/> is not a valid name, or <paramref name="port"/> is not 0-65535.</exception>
    public static TunnelTarget ForRoute(string name, int port = 0, IPEndPoint? client = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        if (TunnelTargetCodec.CheckName(name) is { } problem)
        {
            throw new ArgumentException($"route name '{name}': {problem}", nameof(name));
        }

        return new TunnelTarget(TunnelTargetKind.NamedRoute, name, null, port, client);
    }

    /// <summary>Rebuilds a decoded target (the codec already checked it).</summary>
    internal static TunnelTarget FromWire(TunnelTargetKind kind, string host, IPAddress? address, int port, IPEndPoint? client) =>
        new(kind, host, address, port, client);

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        TunnelTargetKind.IPv6 => $"[{Host}]:{Port}",
        TunnelTargetKind.NamedRoute => $"route:{Host}" + (Port != 0 ? $":{Port}" : string.Empty),
        _ => $"{Host}:{Port}",
    };
}
