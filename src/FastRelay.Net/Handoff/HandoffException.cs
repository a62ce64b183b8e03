namespace FastRelay.Handoff;

/// <summary>A takeover was started but failed; the message names the socket and what went wrong.</summary>
public sealed class HandoffException(string message, Exception? inner = null) : Exception(message, inner);
