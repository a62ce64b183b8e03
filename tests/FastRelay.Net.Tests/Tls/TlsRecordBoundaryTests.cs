using System.Net;
using System.Net.Sockets;
using FastRelay.TestKit;
using FastRelay.Tls;
using FastRelay.Transport;

namespace FastRelay.Net.Tests.Tls;

/// <summary>
/// <see cref="TlsRecordBoundary"/> and the transport's record-bounded reads: during a handshake no read may return a
/// byte of the record after the one it is in (SslRecordReader reads those from the socket itself).
/// </summary>
public sealed class TlsRecordBoundaryTests
{
    [Fact]
    public void NoReadCrossesAHeaderOrRecordEnd_WhateverTheByteSplit()
    {
        byte[] stream = [.. Record(22, 3), .. Record(23, 0), .. Record(23, 300)];
        int[] ends = [5, 8, 13, 18, 318]; // Each header's end and each record's end.
        foreach (var chunk in new[] { 1, 2, 4, 7, 1000 })
        {
            var boundary = default(TlsRecordBoundary);
            var reads = new List<int>();
            for (var offset = 0; offset < stream.Length;)
            {
                var take = Math.Min(Math.Min(chunk, boundary.Allowed), stream.Length - offset);
                Assert.True(take > 0, $"nothing allowed at {offset}");
                Assert.DoesNotContain(ends, end => offset < end && end < offset + take);
                boundary.Consumed(stream.AsSpan(offset, take));
                offset += take;
                reads.Add(take);
            }

            if (chunk == 1000)
            {
                Assert.Equal([5, 3, 5, 5, 300], reads);
            }
        }
    }

    [Fact]
    public void MoreThanAllowed_IsRefused()
    {
        var boundary = default(TlsRecordBoundary);
        var error = Assert.Throws<ArgumentException>(() => boundary.Consumed(new byte[6]));
        Assert.Contains("6 bytes passed the record boundary (5 allowed)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BoundedTransport_ReturnsOneRecordAtATime_AndLeavesTheRestInTheSocket()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.LocalEndPoint!);
        using var server = await listener.AcceptAsync();
        byte[] first = Record(22, 40);
        byte[] second = Record(23, 100);
        await client.SendAsync((byte[])[.. first, .. second], SocketFlags.None);
        Assert.True(await TestTimeouts.EventuallyAsync(() => server.Available == first.Length + second.Length));

        using var transport = new SocketStream();
        transport.Attach(server, boundedToRecords: true);
        var buffer = new byte[4096];
        Assert.Equal(5, await transport.ReadAsync(buffer));
        Assert.Equal(40, await transport.ReadAsync(buffer));
        Assert.Equal(second.Length, server.Available); // The next record is still the socket's.

        transport.Unbound();
        Assert.Equal(second.Length, await transport.ReadAsync(buffer));
        Assert.Equal(second, buffer[..second.Length]);
    }

    private static byte[] Record(byte type, int bodyBytes)
    {
        var record = new byte[5 + bodyBytes];
        record[0] = type;
        record[1] = 3;
        record[2] = 3;
        record[3] = (byte)(bodyBytes >> 8);
        record[4] = (byte)bodyBytes;
        return record;
    }
}
