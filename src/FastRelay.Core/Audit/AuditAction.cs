using FastRelay.Diagnostics;

namespace FastRelay.Audit;

/// <summary>
/// The <c>action</c> column of an audit row: which checkpoint decided (<see cref="Checkpoint"/>), written
/// as a short lower-case word (<see cref="AuditActions.Name"/>).
/// </summary>
/// <remarks>The words are public surface (auditors query them): add new ones at the end, never rename.</remarks>
public enum AuditAction
{
    /// <summary><c>accept</c>: the listener accepted the connection, or refused it at the connection limit.</summary>
    Accept,

    /// <summary><c>inbound</c>: the Inbound security-group rules on the client's address.</summary>
    Inbound,

    /// <summary><c>rate_limit</c>: the connection token bucket refused the connection.</summary>
    RateLimit,

    /// <summary><c>handshake</c>: the TLS handshake and client certificate checks.</summary>
    Handshake,

    /// <summary><c>outbound</c>: the Outbound rules on the upstream address, and the dial.</summary>
    Outbound,

    /// <summary><c>close</c>: an allowed connection ended (bytes, duration, close reason).</summary>
    Close,
}

/// <summary>The column words of <see cref="AuditAction"/>, and the mapping from <see cref="Checkpoint"/>.</summary>
public static class AuditActions
{
    private static readonly string[] Names = ["accept", "inbound", "rate_limit", "handshake", "outbound", "close"];

    /// <summary>The word written to the <c>action</c> column (at most 16 characters, the column's width).</summary>
    public static string Name(AuditAction action) => Names[(int)action];

    /// <summary>The action for a checkpoint (they correspond one to one).</summary>
    public static AuditAction From(Checkpoint checkpoint) => checkpoint switch
    {
        Checkpoint.Accept => AuditAction.Accept,
        Checkpoint.Inbound => AuditAction.Inbound,
        Checkpoint.RateLimit => AuditAction.RateLimit,
        Checkpoint.Handshake => AuditAction.Handshake,
        Checkpoint.Outbound => AuditAction.Outbound,
        _ => AuditAction.Close,
    };

    /// <summary>Parses a column word back (the spool, the JSON-lines sink, query results).</summary>
    public static bool TryParse(string? name, out AuditAction action)
    {
        var index = Array.IndexOf(Names, name);
        action = (AuditAction)Math.Max(index, 0);
        return index >= 0;
    }
}
