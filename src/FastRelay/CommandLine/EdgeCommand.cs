using System.CommandLine;
using FastRelay.Audit;
using FastRelay.Configuration;
using FastRelay.Filtering;
using FastRelay.Hosting;

namespace FastRelay.CommandLine;

/// <summary><c>fastrelay edge</c>: parse and validate everything, then run the edge until a signal.</summary>
internal sealed class EdgeCommand : IValidatedCommand
{
    private readonly Option<string> _config = new("--config")
    {
        Description = "JSON file with any of these flags (names without dashes); a flag on the command line wins over the file.",
        HelpName = "FILE",
    };

    private readonly FlagOptions _flags;

    public EdgeCommand()
    {
        Command = new Command("edge", "Run the edge relay: the sidecar on the edge VM that internal clients connect to.");
        Command.Options.Add(_config);
        _flags = new FlagOptions(Command, EdgeFlags.All, EdgeFlags.Planned.Keys);
        Command.SetAction((parseResult, cancellationToken) =>
        {
            var (options, policy, errors) = Build(parseResult);
            return options is null
                ? Task.FromResult(ExitCodes.PrintConfigErrors(errors))
                : EdgeHost.RunAsync(options, policy, () => Rebuild(parseResult), cancellationToken);
        });
    }

    public Command Command { get; }

    /// <inheritdoc />
    public IEnumerable<string> Validate(ParseResult parseResult) => Build(parseResult).Errors;

    private (EdgeOptions? Options, IReadOnlyList<string> Errors) Rebuild(ParseResult parseResult)
    {
        var (options, _, errors) = Build(parseResult);
        return (options, errors);
    }

    private (EdgeOptions? Options, LoadedPolicy? Policy, List<string> Errors) Build(ParseResult parseResult)
    {
        var errors = new List<ConfigError>();
        var fromFile = parseResult.GetValue(_config) is { } path ? ConfigFile.Read(path, EdgeFlags.All, errors, EdgeFlags.Planned.Keys) : [];
        var settings = FlagOptions.Merge(fromFile, _flags.Read(parseResult));
        foreach (var planned in settings.Where(s => EdgeFlags.Planned.ContainsKey(s.Name)).ToList())
        {
            errors.Add(new ConfigError(planned.Origin, planned.Value, EdgeFlags.PlannedError(planned.Name)));
            settings.Remove(planned);
        }

        EdgeOptions? options = null;
        try
        {
            options = EdgeOptionsReader.Read(settings);
        }
        catch (ConfigException ex)
        {
            errors.AddRange(ex.Errors);
        }

        // What only the driver can check (a connection string's keywords), from the raw setting so that it is
        // listed with the other errors.
        if (settings.LastOrDefault(s => s.Name == "audit") is { } audit && AuditTarget.TryParse(audit.Value, out var target, out _)
            && AuditSinks.Validate(target!) is { } auditError)
        {
            errors.Add(new ConfigError(audit.Origin, audit.Value, auditError));
            options = null;
        }

        var lines = errors.Select(e => e.ToString()).ToList();
        LoadedPolicy? policy = null;
        // Read from the raw settings, so a bad policy is listed even when other flags are bad too.
        if (settings.LastOrDefault(s => s.Name == "policy")?.Value is { Length: > 0 } policyPath)
        {
            // The whole policy is validated at start like every other input: each error with its JSON path.
            var policyErrors = new List<string>();

            // The write time is taken before the read: a change after it is caught when the watcher starts.
            var writeTime = File.Exists(policyPath) ? File.GetLastWriteTimeUtc(policyPath) : default;
            policy = PolicyFile.TryLoad(policyPath, policyErrors) is { } loaded ? new LoadedPolicy(loaded, writeTime) : null;
            lines.AddRange(policyErrors.Select(e => $"--policy {policyPath}: {e}"));
        }

        return (lines.Count == 0 ? options : null, policy, lines);
    }
}
