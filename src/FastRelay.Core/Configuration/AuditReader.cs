using FastRelay.Audit;

namespace FastRelay.Configuration;

/// <summary>
/// Reads <c>--audit</c>, <c>--audit-node</c>, <c>--audit-spool</c>, <c>--audit-queue</c>,
/// <c>--audit-overflow</c> and <c>--audit-flush-timeout</c> into <see cref="AuditOptions"/>, adding an error
/// for each bad value.
/// </summary>
internal static class AuditReader
{
    /// <summary>The setting names this reader knows.</summary>
    public static readonly string[] Names = ["audit", "audit-node", "audit-spool", "audit-queue", "audit-overflow", "audit-flush-timeout"];

    /// <summary>
    /// Reads the audit settings; <paramref name="defaults"/> gives the role's own default sink and spool (the
    /// gateway writes beside an edge on one host, so it must not share the edge's files).
    /// </summary>
    public static AuditOptions Read(ScalarReader settings, List<ConfigError> errors, AuditOptions? defaults = null)
    {
        defaults ??= new AuditOptions();
        var target = defaults.Target;
        if (settings.Find("audit") is { } audit)
        {
            if (AuditTarget.TryParse(audit.Value, out var parsed, out var error))
            {
                target = parsed!;
            }
            else
            {
                errors.Add(new ConfigError(audit.Origin, audit.Value, error));
            }
        }

        var node = settings.Find("audit-node");
        if (node is not null && !NodeNameSyntax.IsValid(node.Value))
        {
            errors.Add(new ConfigError(node.Origin, node.Value, NodeNameSyntax.Expected));
        }

        var spool = settings.Find("audit-spool");
        if (spool is not null && spool.Value.Trim().Length == 0)
        {
            errors.Add(new ConfigError(spool.Origin, spool.Value, "expected a directory path"));
        }

        return new AuditOptions
        {
            Target = target,
            Node = node is not null && NodeNameSyntax.IsValid(node.Value) ? node.Value : null,
            SpoolDirectory = spool is { Value.Length: > 0 } ? spool.Value : defaults.SpoolDirectory,
            QueueCapacity = (int)settings.Integer("audit-queue", AuditOptions.DefaultQueueCapacity, 16, 16_777_216),
            Overflow = settings.Enum("audit-overflow", AuditOverflow.Spool),
            FlushTimeout = settings.Duration("audit-flush-timeout", AuditOptions.DefaultFlushTimeout, allowZero: true),
        };
    }
}
