using System.Net;
using FastRelay.Audit;

namespace FastRelay.TestKit;

/// <summary>Ready-made audit records for sink, spool and queue tests.</summary>
internal static class AuditRecords
{
    private static readonly AuditRecordIds Ids = new(0xC0FFEE);

    /// <summary>A close record of connection <paramref name="connectionId"/>, every column filled.</summary>
    public static AuditRecord Sample(long connectionId, DateTimeOffset? at = null)
    {
        var when = at ?? DateTimeOffset.UtcNow;
        return new AuditRecord
        {
            RecordId = Ids.Next(when),
            Timestamp = when.UtcDateTime,
            Node = "test-node",
            ConnectionId = connectionId,
            Action = AuditAction.Close,
            Verdict = true,
            Client = new IPEndPoint(IPAddress.Parse("127.0.0.2"), 40000 + (int)(connectionId % 20000)),
            Listener = new IPEndPoint(IPAddress.Loopback, 8443),
            Service = "svc",
            Destination = new IPEndPoint(IPAddress.Parse("127.0.0.1"), 9001),
            Identity = "CN=client",
            CertificateSha256 = new string('a', 64),
            RuleGroup = "web",
            RuleIndex = 2,
            Reason = FastRelay.Diagnostics.CloseReason.Completed,
            Detail = "sample",
            BytesFromClient = 100 + connectionId,
            BytesToClient = 200 + connectionId,
            Duration = TimeSpan.FromMilliseconds(12.5),
        };
    }

    /// <summary><paramref name="count"/> samples, connection ids 1..count.</summary>
    public static AuditRecord[] Many(int count) => [.. Enumerable.Range(1, count).Select(i => Sample(i))];
}
