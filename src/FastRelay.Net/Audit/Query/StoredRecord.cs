namespace FastRelay.Audit.Query;

/// <summary>
/// A record as a store holds it: the row's <c>id</c> (the database's own row number; null in a JSON-lines file, which
/// has none), the record, and <paramref name="AsStored"/>: the columns whose stored value the record's types cannot
/// hold (a NULL verdict, an action or close reason FastRelay does not write, a row without a record id), by column
/// name, with the value as stored (null or its text), so that <c>audit query</c> shows an auditor's own row as it is
/// rather than as a deny, an accept or an empty GUID. Null for rows FastRelay wrote.
/// </summary>
internal readonly record struct StoredRecord(long? Id, AuditRecord Record, IReadOnlyDictionary<string, object?>? AsStored = null)
{
    /// <summary>The column's text as stored when <see cref="AsStored"/> holds it ("NULL" for a null); else null.</summary>
    public string? StoredText(string column) =>
        AsStored is not null && AsStored.TryGetValue(column, out var value)
            ? value is null ? "NULL" : Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)
            : null;
}
