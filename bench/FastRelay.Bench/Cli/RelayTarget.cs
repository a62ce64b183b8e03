using System.CommandLine;
using System.Net;
using FastRelay.Bench.Phases;

namespace FastRelay.Bench.Cli;

/// <summary>
/// The relay half of <c>run</c>'s options: exactly one of <c>--relay-exe</c>, <c>--relay-echo</c>/<c>--relay-sink</c>
/// or <c>--direct-only</c>. Mixing them is an error, as ghostunnel does for mutually exclusive flags.
/// </summary>
internal readonly record struct RelayTarget(
    RelayMode Mode, string? Exe, IReadOnlyList<string> Args, IReadOnlyDictionary<string, string> Environment, IPEndPoint? Echo, IPEndPoint? Sink)
{
    /// <summary>Binds and checks the relay options; problems are appended to <paramref name="errors"/>.</summary>
    public static RelayTarget Bind(RunCommand command, ParseResult parse, IReadOnlyList<PhaseKind> phases, List<string> errors)
    {
        var exe = parse.ValueOrDefault(command.RelayExe);
        var args = parse.ValueOrDefault(command.RelayArgs) ?? [];
        var echoText = parse.ValueOrDefault(command.RelayEcho);
        var sinkText = parse.ValueOrDefault(command.RelaySink);
        var directOnly = parse.ValueOrDefault(command.DirectOnly);
        var existing = echoText is not null || sinkText is not null;

        var chosen = (exe is not null ? 1 : 0) + (existing ? 1 : 0) + (directOnly ? 1 : 0);
        if (chosen == 0)
        {
            errors.Add("relay: give --relay-exe PATH, or --relay-echo and --relay-sink of a running relay, or --direct-only");
        }
        else if (chosen > 1)
        {
            errors.Add("relay: --relay-exe, --relay-echo/--relay-sink and --direct-only are mutually exclusive");
        }

        if (args.Length > 0 && exe is null)
        {
            errors.Add("--relay-arg: only meaningful with --relay-exe");
        }

        var environment = BindEnvironment(parse.ValueOrDefault(command.RelayEnv) ?? [], exe is not null, errors);

        if (exe is not null && !File.Exists(exe))
        {
            errors.Add($"--relay-exe: file '{exe}' not found (build src/FastRelay first, or give the apphost)");
        }

        var echo = RunOptionsBinder.EndPoint(parse, command.RelayEcho, errors);
        var sink = RunOptionsBinder.EndPoint(parse, command.RelaySink, errors);
        if (existing)
        {
            RequireFor(phases, usesEcho: true, echoText, "--relay-echo", errors);
            RequireFor(phases, usesEcho: false, sinkText, "--relay-sink", errors);
        }

        var mode = exe is not null ? RelayMode.Spawn : existing ? RelayMode.Existing : RelayMode.None;
        return new RelayTarget(mode, exe, args, environment, echo, sink);
    }

    private static Dictionary<string, string> BindEnvironment(string[] values, bool spawning, List<string> errors)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        if (values.Length > 0 && !spawning)
        {
            errors.Add("--relay-env: only meaningful with --relay-exe");
        }

        foreach (var value in values)
        {
            var equals = value.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                errors.Add($"--relay-env: expected NAME=VALUE (got '{value}')");
            }
            else if (!environment.TryAdd(value[..equals], value[(equals + 1)..]))
            {
                errors.Add($"--relay-env: '{value[..equals]}' is given twice");
            }
        }

        return environment;
    }

    private static void RequireFor(
        IReadOnlyList<PhaseKind> phases, bool usesEcho, string? value, string option, List<string> errors)
    {
        var needing = phases.Where(p => p.UsesEcho() == usesEcho).Select(p => p.ToName()).ToList();
        if (needing.Count > 0 && value is null)
        {
            errors.Add($"{option}: required by the selected phases {string.Join(", ", needing)} (or narrow --phases)");
        }
    }
}
