namespace FastRelay.Audit.Query;

/// <summary>The audit store cannot be read (no such file, database unreachable); the message is one line for the operator.</summary>
internal sealed class AuditReadException(string message, Exception? inner = null) : Exception(message, inner);
