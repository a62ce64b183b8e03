namespace FastRelay.Audit;

/// <summary>The audit log's settings (<c>--audit</c>, <c>--audit-*</c>), validated and immutable.</summary>
public sealed record AuditOptions
{
    /// <summary>Default for <see cref="QueueCapacity"/>.</summary>
    public const int DefaultQueueCapacity = 65_536;

    /// <summary>Default for <see cref="SpoolDirectory"/> (relative to the working directory).</summary>
    public const string DefaultSpoolDirectory = "fastrelay-audit-spool";

    /// <summary>Default for <see cref="FlushTimeout"/>.</summary>
    public static readonly TimeSpan DefaultFlushTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The sink (<c>--audit</c>).</summary>
    /// <remarks>Defaults to <c>sqlite:fastrelay-audit.db</c> in the working directory.</remarks>
    public AuditTarget Target { get; init; } = AuditTarget.Default;

    /// <summary>The node name written to every row (<c>--audit-node</c>); null means the host name.</summary>
    /// <remarks>Defaults to the host name.</remarks>
    public string? Node { get; init; }

    /// <summary>Where records wait while the sink is unreachable (<c>--audit-spool</c>).</summary>
    /// <remarks>Defaults to <c>fastrelay-audit-spool</c> in the working directory.</remarks>
    public string SpoolDirectory { get; init; } = DefaultSpoolDirectory;

    /// <summary>Records the queue between the connections and the writer holds (<c>--audit-queue</c>).</summary>
    /// <remarks>Defaults to 65536.</remarks>
    public int QueueCapacity { get; init; } = DefaultQueueCapacity;

    /// <summary>What a full queue does (<c>--audit-overflow</c>).</summary>
    /// <remarks>Defaults to <see cref="AuditOverflow.Spool"/>.</remarks>
    public AuditOverflow Overflow { get; init; } = AuditOverflow.Spool;

    /// <summary>On shutdown, how long the writer may take to flush; what is left goes to the spool (<c>--audit-flush-timeout</c>).</summary>
    /// <remarks>Defaults to 10s.</remarks>
    public TimeSpan FlushTimeout { get; init; } = DefaultFlushTimeout;
}
