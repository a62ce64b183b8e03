using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace FastRelay.TestKit;

/// <summary>
/// A DNS server on UDP 127.0.0.1 port 0 that answers A queries from a table (name to addresses and TTL), AAAA with no
/// records, and unknown names with NXDOMAIN (RFC 1035 §4.1 wire format, built by hand). Counts the queries per name.
/// </summary>
public sealed class FakeDnsServer : IAsyncDisposable
{
    private readonly UdpClient _udp = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <summary>Starts answering.</summary>
    public FakeDnsServer() => _loop = Task.Run(ServeAsync);

    /// <summary>The A records by lower-case name (without the trailing dot); change them while running.</summary>
    public ConcurrentDictionary<string, (IPAddress[] Addresses, uint Ttl)> Records { get; } = new();

    /// <summary>When true, queries are dropped unanswered (a dead server).</summary>
    public bool Silent { get; set; }

    /// <summary>A queries received, per name.</summary>
    public ConcurrentDictionary<string, int> AQueries { get; } = new();

    /// <summary>The server's address, for <c>--dns-server</c>.</summary>
    public IPEndPoint EndPoint => (IPEndPoint)_udp.Client.LocalEndPoint!;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _udp.Dispose();
        await _loop.ContinueWith(_ => { }, TaskScheduler.Default).WithTimeout(); // Ended by Dispose: its exception is expected.
        _stop.Dispose();
    }

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var query = await _udp.ReceiveAsync(_stop.Token);
            if (!Silent && Answer(query.Buffer) is { } answer)
            {
                await _udp.SendAsync(answer, query.RemoteEndPoint, _stop.Token);
            }
        }
    }

    private byte[]? Answer(byte[] query)
    {
        // Header (12 bytes), then the question: labels, a zero byte, QTYPE, QCLASS.
        var offset = 12;
        var labels = new List<string>();
        while (offset < query.Length && query[offset] != 0)
        {
            labels.Add(Encoding.ASCII.GetString(query, offset + 1, query[offset]));
            offset += query[offset] + 1;
        }

        if (offset + 5 > query.Length)
        {
            return null;
        }

        var questionEnd = offset + 5;
        var type = BinaryPrimitives.ReadUInt16BigEndian(query.AsSpan(offset + 1));
        var name = string.Join('.', labels).ToLowerInvariant();
        var found = Records.TryGetValue(name, out var record);
        if (type == 1)
        {
            AQueries.AddOrUpdate(name, 1, (_, n) => n + 1);
        }

        var answers = found && type == 1 ? record.Addresses : [];
        var response = new List<byte>(query.AsSpan(0, questionEnd).ToArray());
        response[2] = 0x81; // QR, RD.
        response[3] = (byte)(found ? 0x80 : 0x83); // RA; NOERROR, or NXDOMAIN (3).
        response[6] = 0;
        response[7] = (byte)answers.Length; // ANCOUNT.
        response[8] = response[9] = response[10] = response[11] = 0; // NSCOUNT, ARCOUNT (the query's EDNS record is not echoed).
        foreach (var address in answers)
        {
            var rr = new byte[16];
            rr[0] = 0xC0;
            rr[1] = 12; // Name: a pointer to the question's.
            rr[3] = 1; // TYPE A.
            rr[5] = 1; // CLASS IN.
            BinaryPrimitives.WriteUInt32BigEndian(rr.AsSpan(6), record.Ttl);
            rr[11] = 4;
            address.GetAddressBytes().CopyTo(rr, 12);
            response.AddRange(rr);
        }

        return [.. response];
    }
}
