using FastRelay.Bench.Cli;

namespace FastRelay.Bench.Phases;

/// <summary>Maps a <see cref="PhaseKind"/> to the code that runs it, with the settings that phase takes.</summary>
internal static class PhaseDispatcher
{
    /// <summary>Runs <paramref name="kind"/> on the context's path. Throws only on cancellation or a harness bug.</summary>
    public static Task<PhaseResult> RunAsync(PhaseKind kind, PhaseContext context, CancellationToken cancellationToken)
    {
        var options = context.Options;
        return kind switch
        {
            PhaseKind.Latency => PingPongPhase.RunAsync(context, kind, sessionCount: 1, cancellationToken),
            PhaseKind.Sessions => PingPongPhase.RunAsync(context, kind, options.Sessions, cancellationToken),
            PhaseKind.Bulk => BulkPhase.RunAsync(context, kind, streamCount: 1, cancellationToken),
            PhaseKind.BulkMany => BulkPhase.RunAsync(context, kind, options.BulkStreams, cancellationToken),
            PhaseKind.Connect => ConnectRatePhase.RunAsync(context, cancellationToken),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };
    }

    /// <summary>The title of a phase in the table and the chart legend, with its main setting.</summary>
    public static string Title(PhaseKind kind, RunOptions options) => kind switch
    {
        PhaseKind.Latency => $"ping-pong, 1 connection, {options.MessageBytes} B",
        PhaseKind.Sessions => $"ping-pong, {options.Sessions} sessions, {options.MessageBytes} B",
        PhaseKind.Bulk => $"bulk, 1 stream x {UnitParser.FormatBytes(options.BulkBytes)}",
        PhaseKind.BulkMany => $"bulk, {options.BulkStreams} streams x {UnitParser.FormatBytes(options.BulkBytes)}",
        PhaseKind.Connect => $"new connections, {options.ConnectConcurrency} at a time",
        _ => kind.ToName(),
    };

}
