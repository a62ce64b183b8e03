namespace FastRelay.Tls;

/// <summary>
/// A TLS file could not be used: the message names the file (and the flag) and the problem, for the
/// startup error list and the reload warning. Thrown only while loading, never on a connection.
/// </summary>
public sealed class TlsLoadException(string message, Exception? inner = null) : Exception(message, inner);
