namespace FastRelay.Audit.Query;

/// <summary>
/// A record as a store holds it: the row's <c>id</c> (the database's own row number; null in a JSON-lines file, which
/// has none) and the record, for <c>audit query --format json</c>, which prints every column.
/// </summary>
internal readonly record struct StoredRecord(long? Id, AuditRecord Record);
