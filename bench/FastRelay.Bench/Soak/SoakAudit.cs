using System.Globalization;
using Microsoft.Data.Sqlite;

namespace FastRelay.Bench.Soak;

/// <summary>
/// The edge's audit database after it exited: records counted by action, verdict and close reason, and checked
/// against what the load did: one <c>inbound</c> and one <c>handshake</c> record per connection, one <c>close</c>
/// per allowed handshake, the <c>Completed</c> closes exactly the sessions that echoed byte-exact (with exactly their
/// bytes each way). A client reset should be a <c>ClientReset</c> close; the ones recorded otherwise are counted and
/// reported.
/// </summary>
internal static class SoakAudit
{
    /// <summary>One group of records.</summary>
    internal sealed record Group(string Action, bool Verdict, string? CloseReason, long Count, long BytesFromClient, long BytesToClient);

    /// <summary>The groups, and the list of expectations that failed (empty: the audit log is complete).</summary>
    public static (IReadOnlyList<Group> Groups, IReadOnlyList<string> Problems, long ResetsNotClientReset) Check(string databasePath, SoakLoad load, bool plain = false)
    {
        var groups = new List<Group>();
        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = databasePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString()))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = """
                SELECT action, verdict, close_reason, COUNT(*), COALESCE(SUM(bytes_from_client), 0), COALESCE(SUM(bytes_to_client), 0)
                FROM access_logs GROUP BY action, verdict, close_reason ORDER BY action, verdict, close_reason
                """;
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                groups.Add(new Group(reader.GetString(0), reader.GetBoolean(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                    reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5)));
            }
        }

        long Count(string action, bool? verdict = null, string? reason = null) =>
            groups.Where(g => g.Action == action && (verdict is null || g.Verdict == verdict) && (reason is null || g.CloseReason == reason)).Sum(g => g.Count);

        var problems = new List<string>();
        void Expect(string what, long actual, long expected)
        {
            if (actual != expected)
            {
                problems.Add(string.Create(CultureInfo.InvariantCulture, $"{what}: {actual} records, expected {expected}"));
            }
        }

        // Every connection the load opened has its inbound record; each TLS handshake the client saw complete is an
        // allowed handshake (or, for a reset session whose RST overtook the client's Finished, a denied one: TLS 1.3
        // clients finish first), and every allowed handshake has exactly one close.
        // --plain: no handshake; every connection is one inbound and one close.
        Expect("inbound (allowed)", Count("inbound", true), load.Handshakes);
        Expect("handshake (allowed + denied)", Count("handshake"), plain ? 0 : load.Handshakes);
        Expect("close", Count("close"), plain ? Count("inbound", true) : Count("handshake", true));

        // Each reset session (reset after its first echoed byte) should end as ClientReset; the ones that did not are
        // reported (a close-reason finding, not a missing record) and bound the Completed checks below.
        var clientResets = Count("close", reason: "ClientReset");
        if (clientResets > load.Reset)
        {
            problems.Add($"close ClientReset: {clientResets} records, more than the {load.Reset} sessions the client reset");
        }

        var resetsElsewhere = Math.Max(0, load.Reset - clientResets);

        // Completed closes are the byte-exact sessions, plus at most those whose echo was exact but whose clean close
        // failed in the restart window, and resets recorded as Completed; their bytes likewise, the same each way.
        var completed = groups.Where(g => g.Action == "close" && g.CloseReason == "Completed").ToList();
        Within("close Completed", completed.Sum(g => g.Count), load.Completed, load.Completed + load.EchoedThenFailed + resetsElsewhere);
        Within("bytes_from_client of Completed closes", completed.Sum(g => g.BytesFromClient), load.CompletedBytes,
            load.CompletedBytes + load.EchoedThenFailedBytes + (resetsElsewhere == 0 ? 0 : load.ResetBytes));
        Expect("bytes_to_client of Completed closes (= bytes_from_client)", completed.Sum(g => g.BytesToClient), completed.Sum(g => g.BytesFromClient));
        return (groups, problems, resetsElsewhere);

        void Within(string what, long actual, long low, long high)
        {
            if (actual < low || actual > high)
            {
                problems.Add(string.Create(CultureInfo.InvariantCulture, $"{what}: {actual}, expected {low}..{high}"));
            }
        }
    }
}
