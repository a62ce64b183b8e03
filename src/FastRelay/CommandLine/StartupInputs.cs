using FastRelay.Audit;
using FastRelay.Configuration;
using FastRelay.Hosting;

namespace FastRelay.CommandLine;

/// <summary>
/// The checks both roles (edge and gateway) make at start beyond their flag readers, read from the raw
/// settings so that each problem is listed with the others even when other flags are bad too.
/// </summary>
internal static class StartupInputs
{
    /// <summary>
    /// What only the audit driver can check (a connection string's keywords): adds the error and returns
    /// false when <c>--audit</c> names a store the driver refuses.
    /// </summary>
    public static bool AuditTargetIsValid(List<RawSetting> settings, List<ConfigError> errors)
    {
        if (settings.LastOrDefault(s => s.Name == "audit") is { } audit && AuditTarget.TryParse(audit.Value, out var target, out _)
            && AuditSinks.Validate(target!) is { } auditError)
        {
            errors.Add(new ConfigError(audit.Origin, audit.Value, auditError));
            return false;
        }

        return true;
    }

    /// <summary>
    /// Loads and validates the <c>--policy</c> file like every other input: each error with its JSON path is
    /// added to <paramref name="lines"/>. Null without a policy, or when it has errors.
    /// </summary>
    public static LoadedPolicy? LoadPolicy(List<RawSetting> settings, List<string> lines)
    {
        if (settings.LastOrDefault(s => s.Name == "policy")?.Value is not { Length: > 0 } policyPath)
        {
            return null;
        }

        // The write time is taken before the read: a change after it is caught when the watcher starts.
        var policyErrors = new List<string>();
        var writeTime = File.Exists(policyPath) ? File.GetLastWriteTimeUtc(policyPath) : default;
        var policy = PolicyFile.TryLoad(policyPath, policyErrors) is { } loaded ? new LoadedPolicy(loaded, writeTime) : null;
        lines.AddRange(policyErrors.Select(e => $"--policy {policyPath}: {e}"));
        return policy;
    }
}
