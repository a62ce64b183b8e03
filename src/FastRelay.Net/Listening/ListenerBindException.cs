namespace FastRelay.Listening;

/// <summary>
/// A listener could not bind its address; the message is one line for the operator
/// ("127.0.0.1:443 is already in use"), and the exe exits with code 1.
/// </summary>
public sealed class ListenerBindException(string message, Exception innerException) : Exception(message, innerException);
