using System.Text;
using System.Text.Json;
using FastRelay.Audit;
using FastRelay.TestKit;

namespace FastRelay.Net.Tests.Audit;

/// <summary>
/// The audit record's JSON line (the JSONL sink, the spool, <c>audit query</c>): it reads back what it wrote, and a
/// line edited into nonsense is refused, never thrown (a spool line that threw killed the writer at every start).
/// </summary>
public sealed class AuditJsonTests
{
    [Fact]
    public void ALineItWrote_ReadsBackTheSameRecord()
    {
        var record = AuditRecords.Sample(42);
        Assert.True(AuditJson.TryRead(Line(record), out var read));
        Assert.Equal(record.ConnectionId, read.ConnectionId);
        Assert.Equal(record.Client, read.Client);
        Assert.Equal(record.Duration, read.Duration);
    }

    [Fact]
    public void ADualStackListenersMappedAddresses_AreWrittenAsIPv4_SoOneClientHasOneSpelling()
    {
        // A [::] listener sees an IPv4 client, and its own local address, as ::ffff:a.b.c.d.
        var record = AuditRecords.Sample(3) with
        {
            Client = new System.Net.IPEndPoint(System.Net.IPAddress.Parse("::ffff:127.0.0.2"), 40000),
            Listener = new System.Net.IPEndPoint(System.Net.IPAddress.Parse("::ffff:127.0.0.1"), 18020),
        };
        using var line = JsonDocument.Parse(Line(record));
        Assert.Equal("127.0.0.2", line.RootElement.GetProperty("src_ip").GetString());
        Assert.Equal("127.0.0.1:18020", line.RootElement.GetProperty("listener").GetString());
    }

    [Theory]
    [InlineData("\"src_port\":", "70000")] // IPEndPoint's port range.
    [InlineData("\"src_port\":", "-1")]
    [InlineData("\"duration_ms\":", "1e300")] // TimeSpan's range.
    [InlineData("\"connection_id\":", "1e300")]
    [InlineData("\"verdict\":", "\"yes\"")]
    public void ALineWithAValueOutOfRange_IsRefused_NotThrown(string property, string value)
    {
        var line = Encoding.UTF8.GetString(Line(AuditRecords.Sample(7)));
        var start = line.IndexOf(property, StringComparison.Ordinal) + property.Length;
        Assert.True(start > property.Length, $"{property} not in {line}");
        var end = line.IndexOfAny([',', '}'], start);
        var edited = line[..start] + value + line[end..];

        Assert.False(AuditJson.TryRead(Encoding.UTF8.GetBytes(edited), out _));
    }

    private static byte[] Line(AuditRecord record)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            AuditJson.Write(json, record);
        }

        return buffer.ToArray();
    }
}
