using System.CommandLine;
using FastRelay.Audit;
using FastRelay.Configuration;
using FastRelay.Hosting;

namespace FastRelay.CommandLine;

/// <summary>
/// <c>fastrelay gateway</c>: the exit node. Parse and validate everything (flags, config file, policy, key files),
/// then accept tunnels until a signal.
/// </summary>
internal sealed class GatewayCommand : IValidatedCommand
{
    private readonly Option<string> _config = new("--config")
    {
        Description = "JSON file with any of these flags (names without dashes); a flag on the command line wins over the file [default: none]",
        HelpName = "FILE",
    };

    private readonly FlagOptions _flags;

    public GatewayCommand()
    {
        Command = new Command("gateway", "Run the gateway (exit node): accept encrypted tunnels from edges and dial the targets their streams name, as the policy's Outbound rules allow.");
        Command.Options.Add(_config);
        _flags = new FlagOptions(Command, GatewayFlags.All);
        Command.SetAction((parseResult, cancellationToken) =>
        {
            var (options, policy, identity, errors) = Build(parseResult);
            return options is null || identity is null
                ? Task.FromResult(ExitCodes.PrintConfigErrors(errors))
                : GatewayHost.RunAsync(options, policy, identity, cancellationToken, () => Rebuild(parseResult));
        });
    }

    public Command Command { get; }

    /// <inheritdoc />
    public IEnumerable<string> Validate(ParseResult parseResult) => Build(parseResult).Errors;

    // The config step of a reload (POST /reload, SIGHUP): the flags, the --config file and the files they name read and
    // validated again, as a restart would; the running gateway keeps what it has (its policy and CRL steps reload those).
    private (GatewayOptions? Options, IReadOnlyList<string> Errors) Rebuild(ParseResult parseResult)
    {
        var (options, _, identity, errors) = Build(parseResult);
        identity?.Dispose();
        return (options, errors);
    }

    private (GatewayOptions? Options, LoadedPolicy? Policy, LoadedTunnelIdentity? Identity, List<string> Errors) Build(ParseResult parseResult)
    {
        var errors = new List<ConfigError>();
        // The token, not GetValue: with --config twice or without a value GetValue throws; the parser lists those.
        var fromFile = parseResult.GetResult(_config) is { Tokens: [var path] } ? ConfigFile.Read(path.Value, GatewayFlags.All, errors) : [];
        var settings = FlagOptions.Merge(fromFile, _flags.Read(parseResult));
        GatewayOptions? options = null;
        try
        {
            options = GatewayOptionsReader.Read(settings);
        }
        catch (ConfigException ex)
        {
            errors.AddRange(ex.Errors);
        }

        if (!StartupInputs.AuditTargetIsValid(settings, errors))
        {
            options = null;
        }

        var lines = errors.Select(e => e.ToString()).ToList();
        var policy = StartupInputs.LoadPolicy(settings, lines);

        // The key files are read now: a missing or malformed key is a configuration error (exit 2), not a crash later.
        var identity = options is null ? null : TunnelIdentityLoader.TryLoad(options.Identity, TunnelRole.Gateway, lines);
        if (options is null)
        {
            TunnelIdentityLoader.CheckFiles(settings, TunnelRole.Gateway, lines); // Listed with the other errors even so.
        }

        return (lines.Count == 0 ? options : null, policy, identity, lines);
    }
}
