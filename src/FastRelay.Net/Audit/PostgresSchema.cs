using System.Net;
using FastRelay.Diagnostics;
using Npgsql;
using NpgsqlTypes;

namespace FastRelay.Audit;

/// <summary>The <c>access_logs</c> table in PostgreSQL: creation, migration, and a record's binary COPY row.</summary>
internal static class PostgresSchema
{
    /// <summary>
    /// Creates the table and both indexes, or adds the columns an existing table (the auditors' own) lacks;
    /// existing columns are never altered. Serialized by an advisory lock, so that several nodes starting at
    /// once do not race on CREATE TABLE.
    /// </summary>
    public static void CreateOrMigrate(NpgsqlConnection connection)
    {
        using var transaction = connection.BeginTransaction();
        Execute(connection, "SELECT pg_advisory_xact_lock(hashtext('fastrelay.access_logs'))");
        Execute(connection, AuditSchema.CreateTable(postgres: true));
        foreach (var column in AuditSchema.Required.Skip(1).Concat(AuditSchema.Added))
        {
            Execute(connection, $"ALTER TABLE {AuditSchema.Table} ADD COLUMN IF NOT EXISTS {column.Name} {column.Postgres}");
        }

        Execute(connection, AuditSchema.TimeServiceIndex);
        Execute(connection, AuditSchema.RecordIdIndex);
        transaction.Commit();
    }

    /// <summary>Writes one row of <see cref="AuditSchema.Written"/>, in that order.</summary>
    public static void WriteRow(NpgsqlBinaryImporter importer, in AuditRecord r)
    {
        importer.StartRow();
        WriteAddress(importer, r.Client);
        importer.Write(Fit(WithoutNul(r.Service), 64), NpgsqlDbType.Varchar);
        importer.Write(AuditActions.Name(r.Action), NpgsqlDbType.Varchar);

        // `timestamp` has no time zone; Npgsql refuses a UTC DateTime for it, so the UTC value goes in unmarked.
        importer.Write(DateTime.SpecifyKind(r.Timestamp, DateTimeKind.Unspecified), NpgsqlDbType.Timestamp);
        importer.Write(r.Verdict, NpgsqlDbType.Boolean);
        importer.Write(r.RecordId, NpgsqlDbType.Uuid);
        importer.Write(Fit(WithoutNul(r.Node), 255), NpgsqlDbType.Varchar);
        importer.Write(r.ConnectionId, NpgsqlDbType.Bigint);
        WriteNullable(importer, r.Client?.Port, NpgsqlDbType.Integer);
        WriteAddress(importer, r.Destination);
        WriteNullable(importer, r.Destination?.Port, NpgsqlDbType.Integer);
        WriteText(importer, PlainAddress.Of(r.Listener) is { } listener ? Fit(listener.ToString(), 64) : null, NpgsqlDbType.Varchar);
        WriteText(importer, r.Identity, NpgsqlDbType.Text);
        WriteText(importer, r.CertificateSha256, NpgsqlDbType.Text);
        WriteText(importer, r.RuleGroup, NpgsqlDbType.Text);
        WriteNullable(importer, r.RuleIndex, NpgsqlDbType.Integer);
        WriteText(importer, r.Reason?.ToString(), NpgsqlDbType.Varchar);
        WriteText(importer, r.Detail, NpgsqlDbType.Text);
        importer.Write(r.BytesFromClient, NpgsqlDbType.Bigint);
        importer.Write(r.BytesToClient, NpgsqlDbType.Bigint);
        importer.Write(Math.Round(r.Duration.TotalMilliseconds, 3), NpgsqlDbType.Double);
    }

    // A value wider than its VARCHAR would fail the whole batch, again at every retry, and hold every later
    // record in the spool behind it; the inputs are validated to fit, this is the backstop.
    private static string Fit(string value, int width) => value.Length <= width ? value : value[..width];

    private static void WriteAddress(NpgsqlBinaryImporter importer, IPEndPoint? endPoint)
    {
        if (endPoint is null)
        {
            importer.WriteNull();
            return;
        }

        importer.Write(PlainAddress.Of(endPoint.Address), NpgsqlDbType.Inet);
    }

    private static void WriteNullable<T>(NpgsqlBinaryImporter importer, T? value, NpgsqlDbType type)
        where T : struct
    {
        if (value is { } v) importer.Write(v, type);
        else importer.WriteNull();
    }

    private static void WriteText(NpgsqlBinaryImporter importer, string? value, NpgsqlDbType type)
    {
        if (value is null) importer.WriteNull();
        else importer.Write(WithoutNul(value), type);
    }

    // PostgreSQL refuses a 0x00 in text (22021), and a client controls some of it (an SNI name, a certificate's
    // CN, even from a refused certificate): the whole batch would fail at every retry and hold every later record in
    // the spool behind it for good. U+FFFD, as an invalid byte becomes when decoded; SQLite and JSON lines keep the NUL.
    internal static string WithoutNul(string value) => value.Contains('\0', StringComparison.Ordinal) ? value.Replace('\0', '\uFFFD') : value;

    private static void Execute(NpgsqlConnection connection, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }
}
