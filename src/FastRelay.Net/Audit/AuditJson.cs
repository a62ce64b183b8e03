using System.Net;
using System.Text.Json;
using FastRelay.Diagnostics;

namespace FastRelay.Audit;

/// <summary>
/// One <see cref="AuditRecord"/> as a JSON object whose keys are the table's column names (the JSON-lines
/// sink, the spool, <c>audit query --format json</c>). Absent values are written as null.
/// </summary>
/// <remarks>Written by hand with <see cref="Utf8JsonWriter"/>: no reflection, no per-record strings beyond the values.</remarks>
internal static class AuditJson
{
    /// <summary>
    /// The longest record line a reader takes (the JSON-lines file, a spool segment). A record is a few hundred
    /// bytes; its longest values, a client certificate's names, come from a chain OpenSSL caps at 100 KiB.
    /// </summary>
    public const int MaxLineBytes = 1 << 20;

    /// <summary>Writes <paramref name="record"/> as one object.</summary>
    public static void Write(Utf8JsonWriter json, in AuditRecord record)
    {
        json.WriteStartObject();
        WriteFields(json, record);
        json.WriteEndObject();
    }

    /// <summary>Writes a record read back from a store as one object: its row <c>id</c> (null when the store has none), then <see cref="Write"/>'s fields.</summary>
    public static void WriteStored(Utf8JsonWriter json, long? id, in AuditRecord record, IReadOnlyDictionary<string, object?>? asStored = null)
    {
        json.WriteStartObject();
        if (id is { } row) json.WriteNumber("id", row);
        else json.WriteNull("id");
        WriteFields(json, record, asStored);
        json.WriteEndObject();
    }

    // asStored: the columns whose stored value the record's types cannot hold (StoredRecord), written as stored.
    private static void WriteFields(Utf8JsonWriter json, in AuditRecord record, IReadOnlyDictionary<string, object?>? asStored = null)
    {
        if (!Verbatim(json, "record_id", asStored)) json.WriteString("record_id", record.RecordId);
        if (!Verbatim(json, "timestamp", asStored)) json.WriteString("timestamp", DateTime.SpecifyKind(record.Timestamp, DateTimeKind.Utc));
        if (!Verbatim(json, "node", asStored)) json.WriteString("node", record.Node);
        if (!Verbatim(json, "connection_id", asStored)) json.WriteNumber("connection_id", record.ConnectionId);
        if (!Verbatim(json, "action", asStored)) json.WriteString("action", AuditActions.Name(record.Action));
        if (!Verbatim(json, "verdict", asStored)) json.WriteBoolean("verdict", record.Verdict);
        WriteAddress(json, "src_ip", "src_port", record.Client, asStored);
        if (!Verbatim(json, "dest_service", asStored)) json.WriteString("dest_service", record.Service);
        WriteAddress(json, "dest_ip", "dest_port", record.Destination, asStored);
        WriteNullable(json, "listener", PlainAddress.Of(record.Listener)?.ToString());
        WriteNullable(json, "client_identity", record.Identity);
        WriteNullable(json, "cert_sha256", record.CertificateSha256);
        WriteNullable(json, "rule_group", record.RuleGroup);
        if (record.RuleIndex is { } index) json.WriteNumber("rule_index", index);
        else json.WriteNull("rule_index");
        if (!Verbatim(json, "close_reason", asStored)) WriteNullable(json, "close_reason", record.Reason?.ToString());
        WriteNullable(json, "detail", record.Detail);
        if (!Verbatim(json, "bytes_from_client", asStored)) json.WriteNumber("bytes_from_client", record.BytesFromClient);
        if (!Verbatim(json, "bytes_to_client", asStored)) json.WriteNumber("bytes_to_client", record.BytesToClient);
        if (!Verbatim(json, "duration_ms", asStored)) json.WriteNumber("duration_ms", Math.Round(record.Duration.TotalMilliseconds, 3));
    }

    // Writes the column as stored (null, text, a number or a boolean) when asStored holds it.
    private static bool Verbatim(Utf8JsonWriter json, string name, IReadOnlyDictionary<string, object?>? asStored)
    {
        if (asStored is null || !asStored.TryGetValue(name, out var value))
        {
            return false;
        }

        switch (value)
        {
            case null: json.WriteNull(name); break;
            case bool b: json.WriteBoolean(name, b); break;
            case long n: json.WriteNumber(name, n); break;
            case double d: json.WriteNumber(name, d); break;
            default: json.WriteString(name, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)); break;
        }

        return true;
    }

    /// <summary>Reads one object written by <see cref="Write"/>.</summary>
    /// <returns>False when it is not JSON or lacks a required field (a torn or foreign line).</returns>
    public static bool TryRead(ReadOnlySpan<byte> utf8, out AuditRecord record)
    {
        record = default;
        try
        {
            using var document = JsonDocument.Parse(utf8.ToArray());
            var root = document.RootElement;
            if (!AuditActions.TryParse(root.GetProperty("action").GetString(), out var action))
            {
                return false;
            }

            record = new AuditRecord
            {
                RecordId = root.GetProperty("record_id").GetGuid(),
                Timestamp = DateTime.SpecifyKind(root.GetProperty("timestamp").GetDateTime().ToUniversalTime(), DateTimeKind.Utc),
                Node = root.GetProperty("node").GetString() ?? "",
                ConnectionId = root.GetProperty("connection_id").GetInt64(),
                Action = action,
                Verdict = root.GetProperty("verdict").GetBoolean(),
                Client = ReadAddress(root, "src_ip", "src_port"),
                Service = root.GetProperty("dest_service").GetString() ?? "",
                Destination = ReadAddress(root, "dest_ip", "dest_port"),
                Listener = Text(root, "listener") is { } listener && IPEndPoint.TryParse(listener, out var l) ? l : null,
                Identity = Text(root, "client_identity"),
                CertificateSha256 = Text(root, "cert_sha256"),
                RuleGroup = Text(root, "rule_group"),
                RuleIndex = root.TryGetProperty("rule_index", out var index) && index.ValueKind == JsonValueKind.Number ? index.GetInt32() : null,
                Reason = Enum.TryParse<CloseReason>(Text(root, "close_reason"), out var reason) ? reason : null,
                Detail = Text(root, "detail"),
                BytesFromClient = root.GetProperty("bytes_from_client").GetInt64(),
                BytesToClient = root.GetProperty("bytes_to_client").GetInt64(),
                Duration = TimeSpan.FromMilliseconds(root.GetProperty("duration_ms").GetDouble()),
            };
            return true;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException
            or ArgumentOutOfRangeException or OverflowException)
        {
            // A line that is not one of ours (or one edited by hand: a port of 70000, a duration_ms of 1e300, which
            // IPEndPoint and TimeSpan refuse by throwing): the caller counts and skips it.
            return false;
        }
    }

    private static void WriteAddress(Utf8JsonWriter json, string ipName, string portName, IPEndPoint? endPoint,
        IReadOnlyDictionary<string, object?>? asStored = null)
    {
        if (endPoint is null)
        {
            json.WriteNull(ipName);
            json.WriteNull(portName);
            return;
        }

        Span<char> text = stackalloc char[64];
        var address = PlainAddress.Of(endPoint.Address);
        json.WriteString(ipName, address.TryFormat(text, out var written) ? text[..written] : address.ToString());
        if (!Verbatim(json, portName, asStored)) json.WriteNumber(portName, endPoint.Port);
    }

    private static void WriteNullable(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null) json.WriteNull(name);
        else json.WriteString(name, value);
    }

    private static IPEndPoint? ReadAddress(JsonElement root, string ipName, string portName) =>
        Text(root, ipName) is { } ip && IPAddress.TryParse(ip, out var address)
            ? new IPEndPoint(address, root.TryGetProperty(portName, out var port) && port.ValueKind == JsonValueKind.Number ? port.GetInt32() : 0)
            : null;

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
