using System.Net;

namespace FastRelay.Audit;

/// <summary>
/// What <c>fastrelay audit query</c> asks for: records in a time range, of a service, with a verdict, from a
/// source; newest first, at most <see cref="Limit"/>. Null filters match everything.
/// </summary>
public sealed record AuditQuery
{
    /// <summary>Default for <see cref="Limit"/>.</summary>
    public const int DefaultLimit = 100;

    /// <summary>Records at or after this UTC time.</summary>
    public DateTime? Since { get; init; }

    /// <summary>Records before this UTC time.</summary>
    public DateTime? Until { get; init; }

    /// <summary>Records of this service (exact name).</summary>
    public string? Service { get; init; }

    /// <summary>Allowed (true) or denied (false) records.</summary>
    public bool? Verdict { get; init; }

    /// <summary>Records whose client address is in this network (an address alone is a /32 or /128).</summary>
    public IPNetwork? Source { get; init; }

    /// <summary>The most records returned.</summary>
    /// <remarks>Defaults to 100.</remarks>
    public int Limit { get; init; } = DefaultLimit;

    /// <summary>True when <paramref name="record"/> passes every filter (for sinks that cannot filter themselves).</summary>
    public bool Matches(in AuditRecord record) =>
        (Since is not { } since || record.Timestamp >= since)
        && (Until is not { } until || record.Timestamp < until)
        && (Service is null || record.Service == Service)
        && (Verdict is not { } verdict || record.Verdict == verdict)
        && (Source is not { } source || (record.Client?.Address is { } address
            && source.Contains(Diagnostics.PlainAddress.Of(address))));
}
