using System.Text.Json.Serialization;

namespace FastRelay.Bench.Phases;

/// <summary>
/// The measurements the harness can take; each runs on the direct path, then on the relay path.
/// The JSON names match the command-line names in <see cref="PhaseNames"/>.
/// </summary>
internal enum PhaseKind
{
    /// <summary>(1) Sequential ping-pong on one connection: the latency the relay adds.</summary>
    [JsonStringEnumMemberName("latency")]
    Latency,

    /// <summary>(2) N connections doing ping-pong at once: exchanges per second and latency under load.</summary>
    [JsonStringEnumMemberName("sessions")]
    Sessions,

    /// <summary>(3) One stream of bulk bytes into the sink: single-stream throughput.</summary>
    [JsonStringEnumMemberName("bulk")]
    Bulk,

    /// <summary>(4) M bulk streams in parallel: aggregate throughput.</summary>
    [JsonStringEnumMemberName("bulk-many")]
    BulkMany,

    /// <summary>(5) Connect, one exchange, close, in a loop: new connections per second.</summary>
    [JsonStringEnumMemberName("connect")]
    Connect,
}

/// <summary>Names of <see cref="PhaseKind"/> on the command line, in the report and in the table.</summary>
internal static class PhaseNames
{
    /// <summary>All phases in the order they run.</summary>
    public static IReadOnlyList<PhaseKind> All { get; } =
        [PhaseKind.Latency, PhaseKind.Sessions, PhaseKind.Bulk, PhaseKind.BulkMany, PhaseKind.Connect];

    /// <summary>The command-line and JSON name: <c>latency</c>, <c>sessions</c>, <c>bulk</c>, <c>bulk-many</c>, <c>connect</c>.</summary>
    public static string ToName(this PhaseKind kind) => kind switch
    {
        PhaseKind.Latency => "latency",
        PhaseKind.Sessions => "sessions",
        PhaseKind.Bulk => "bulk",
        PhaseKind.BulkMany => "bulk-many",
        PhaseKind.Connect => "connect",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>Parses a name produced by <see cref="ToName"/> (case-insensitive).</summary>
    public static bool TryParse(string text, out PhaseKind kind)
    {
        foreach (var candidate in All)
        {
            if (string.Equals(candidate.ToName(), text, StringComparison.OrdinalIgnoreCase))
            {
                kind = candidate;
                return true;
            }
        }

        kind = default;
        return false;
    }

    /// <summary>Whether the phase talks to the echo backend (the others use the sink).</summary>
    public static bool UsesEcho(this PhaseKind kind) => kind is not (PhaseKind.Bulk or PhaseKind.BulkMany);
}
