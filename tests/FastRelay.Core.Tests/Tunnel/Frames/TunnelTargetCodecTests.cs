using System.Net;
using CsCheck;

namespace FastRelay.Tunnel.Frames;

/// <summary>The OPEN body: every target kind round-trips; every malformed body is refused with a reason.</summary>
public sealed class TunnelTargetCodecTests
{
    public static TheoryData<string, TunnelTarget> Targets => new()
    {
        { "IPv4", TunnelTarget.ForAddress(IPAddress.Parse("192.0.2.7"), 443) },
        { "IPv6", TunnelTarget.ForAddress(IPAddress.Parse("2001:db8::1"), 8443) },
        { "mapped IPv4", TunnelTarget.ForAddress(IPAddress.Parse("::ffff:10.0.0.1"), 80) },
        { "DNS", TunnelTarget.ForHost("api.example.com", 443) },
        { "DNS literal", TunnelTarget.ForHost("127.0.0.1", 22) },
        { "route", TunnelTarget.ForRoute("billing_db") },
        { "route with port", TunnelTarget.ForRoute("billing-db", 5432) },
        { "client v4", TunnelTarget.ForHost("a.b", 1, new IPEndPoint(IPAddress.Parse("198.51.100.9"), 50000)) },
        { "client v6", TunnelTarget.ForAddress(IPAddress.IPv6Loopback, 65535, new IPEndPoint(IPAddress.Parse("2001:db8::9"), 1)) },
        { "longest name", TunnelTarget.ForHost(new string('a', 255), 1) },
    };

    [Theory]
    [MemberData(nameof(Targets))]
    public void WriteThenTryRead_RoundTrips(string label, TunnelTarget target)
    {
        var buffer = new byte[FrameLimits.MaxOpenBody];
        var size = TunnelTargetCodec.Write(target, buffer);
        Assert.Equal(TunnelTargetCodec.GetSize(target), size);

        Assert.True(TunnelTargetCodec.TryRead(buffer.AsSpan(0, size), out var read, out var reason), $"{label}: {reason}");
        Assert.Equal(target.Kind, read!.Kind);
        Assert.Equal(target.Host, read.Host);
        Assert.Equal(target.Port, read.Port);
        Assert.Equal(target.ClientAddress, read.ClientAddress);
        Assert.Equal(target.ToString(), read.ToString());
    }

    public static TheoryData<string, byte[], string> Malformed => new()
    {
        { "empty", [], "OPEN target of 0 bytes" },
        { "unknown kind", [2, 0, 0], "kind 0x02 is unknown" },
        { "IPv4 cut", [1, 10, 0, 0], "IPv4 address truncated" },
        { "IPv6 cut", [4, .. new byte[16]], "IPv6 address truncated" },
        { "name cut", [3, 5, (byte)'a', (byte)'b'], "Dns name truncated" },
        { "name empty", [3, 0, 0, 80], "length 0" },
        { "name space", [3, 3, (byte)'a', (byte)' ', (byte)'b', 0, 80], "character ' '" },
        { "name not ASCII", [3, 2, 0xc3, 0xa9, 0, 80], "not ASCII" },
        { "port 0", [1, 10, 0, 0, 1, 0, 0], "port 0" },
        { "TLV cut", [1, 10, 0, 0, 1, 0, 80, 1], "TLV truncated" },
        { "TLV value cut", [1, 10, 0, 0, 1, 0, 80, 1, 6, 1, 2], "TLV truncated" },
        { "client 5 bytes", [1, 10, 0, 0, 1, 0, 80, 1, 5, 1, 2, 3, 4, 5], "client address TLV of 5 bytes" },
        { "unknown even TLV", [1, 10, 0, 0, 1, 0, 80, 2, 0], "TLV type 2 is unknown and even" },
        { "over 1024", [1, 10, 0, 0, 1, 0, 80, .. new byte[1020]], "OPEN target of 1027 bytes" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void TryRead_Malformed_FalseWithReason(string label, byte[] body, string reason)
    {
        Assert.False(TunnelTargetCodec.TryRead(body, out var target, out var why), label);
        Assert.Null(target);
        Assert.Contains(reason, why, StringComparison.Ordinal);
    }

    [Fact]
    public void TryRead_UnknownOddTlv_Skipped()
    {
        byte[] body = [1, 10, 0, 0, 1, 0, 80, 3, 2, 9, 9];
        Assert.True(TunnelTargetCodec.TryRead(body, out var target, out _));
        Assert.Equal("10.0.0.1:80", target!.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("a b")]
    [InlineData("x/y")]
    public void ForHost_BadName_Throws(string host) =>
        Assert.Throws<ArgumentException>(() => TunnelTarget.ForHost(host, 80));

    [Fact]
    public void TryRead_RandomBytes_NeverThrows()
    {
        Gen.Byte.Array[0, 1100].Sample(bytes =>
        {
            if (TunnelTargetCodec.TryRead(bytes, out var target, out var reason))
            {
                Assert.NotNull(target);
            }
            else
            {
                Assert.False(string.IsNullOrEmpty(reason));
            }
        }, iter: 5000);
    }
}
