using System.CommandLine;
using System.CommandLine.Help;

namespace FastRelay.CommandLine;

/// <summary>
/// <c>--config FILE</c> for the commands that have no flag specs of their own (keygen, ca, policy, audit, demo): the
/// file's flags become command-line flags before the command is parsed, so cli.md's "every flag may also come from
/// <c>--config FILE</c>; a flag on the command line wins" holds for every command. (edge and gateway read their
/// file themselves, through <see cref="ConfigFile"/> and their flag tables.)
/// </summary>
internal static class ConfigArguments
{
    private const string Name = "--config";

    /// <summary>Adds <c>--config FILE</c> to every command below <paramref name="commands"/> that runs something and lacks it.</summary>
    public static void AddTo(IEnumerable<Command> commands)
    {
        foreach (var command in commands)
        {
            if (command.Subcommands.Count > 0)
            {
                AddTo(command.Subcommands);
            }
            else if (!command.Options.Any(o => o.Name == Name))
            {
                command.Options.Add(new ConfigOption());
            }
        }
    }

    /// <summary>
    /// When <paramref name="parsed"/> is one of those commands and names a config file: <paramref name="args"/> with the
    /// file's flags added (those not on the command line). Problems with the file go to <paramref name="errors"/>.
    /// </summary>
    /// <returns>Null when there is nothing to add (no <c>--config</c>, or a command that reads it itself).</returns>
    public static string[]? Expand(ParseResult parsed, string[] args, List<string> errors)
    {
        FromFile.Clear();
        var command = parsed.CommandResult.Command;

        // Only the option added here (edge and gateway have their own). The token, not GetValue: with --config twice
        // or without a value GetValue throws; the parser lists those.
        if (command.Options.OfType<ConfigOption>().FirstOrDefault() is not { } config || parsed.GetResult(config) is not { Tokens: [var token] })
        {
            return null;
        }

        var path = token.Value;

        var options = command.Options.Where(o => o.Name != Name && o is not HelpOption and not VersionOption).ToList();
        var specs = options.Select(o => new FlagSpec(o.Name.TrimStart('-'), o.HelpName ?? "VALUE", o.Description ?? "", Repeatable: o.Arity.MaximumNumberOfValues > 1)).ToList();
        var configErrors = new List<Configuration.ConfigError>();
        var settings = ConfigFile.Read(path, specs, configErrors);
        errors.AddRange(configErrors.Select(e => e.ToString()));

        var added = new List<string>();
        foreach (var setting in settings)
        {
            var option = options.First(o => o.Name == "--" + setting.Name);
            if (parsed.GetResult(option) is { Implicit: false })
            {
                continue; // Given on the command line: that wins (for a repeatable flag, over the file's whole list).
            }

            if (option is SwitchOption && !bool.TryParse(setting.Value, out _))
            {
                errors.Add(new Configuration.ConfigError(setting.Origin, setting.Value, SwitchOption.Expected).ToString());
                continue;
            }

            if (setting.Value.Length == 0)
            {
                errors.Add(new Configuration.ConfigError(setting.Origin, setting.Value, $"expected {option.HelpName ?? "a value"}").ToString());
                continue;
            }

            added.Add($"{option.Name}={setting.Value}"); // One token: a value that starts with '-' stays a value.
            if (!FromFile.TryGetValue(option.Name, out var values))
            {
                FromFile[option.Name] = values = [];
            }

            values.Add((setting.Value, setting.Origin));
        }

        // Right after --config FILE (so never after a "--", past which every token is an argument), else at the end.
        var at = Array.FindIndex(args, a => a == Name || a.StartsWith(Name + "=", StringComparison.Ordinal) || a.StartsWith(Name + ":", StringComparison.Ordinal));
        var after = at < 0 ? args.Length : args[at] == Name ? Math.Min(at + 2, args.Length) : at + 1;
        return added.Count == 0 ? null : [.. args[..after], .. added, .. args[after..]];
    }

    /// <summary>
    /// An error about a flag whose value came from the config file, as cli.md asks (which JSON path, the value, what is
    /// expected): "--days 'x': ..." becomes "web.json: days 'x': ...". Other errors are returned as they are.
    /// </summary>
    public static string NameOrigin(string error)
    {
        foreach (var (flag, values) in FromFile)
        {
            if (error.Length > flag.Length && error.StartsWith(flag, StringComparison.Ordinal) && error[flag.Length] is ' ' or ':')
            {
                // A list's item by its index (ip[1]), when the error quotes a value it had: "--ip '10.1'" is ip[1]'s.
                var quoted = error.AsSpan(flag.Length).StartsWith(" '") ? error[(flag.Length + 2)..] : null;
                // The longest value that fits: of "a" and "a'b", an error quoting 'a'b' is the second's.
                var origin = values.Where(v => quoted is not null && quoted.StartsWith(v.Value + "'", StringComparison.Ordinal))
                    .OrderByDescending(v => v.Value.Length).FirstOrDefault().Origin ?? WithoutIndex(values[0].Origin);
                return origin + error[flag.Length..];
            }
        }

        return error;
    }

    private static string WithoutIndex(string origin) =>
        origin.EndsWith(']') && origin.LastIndexOf('[') is > 0 and var at ? origin[..at] : origin;

    // The flags Expand took from the file (not on the command line), with each value and the file and key (with its
    // index in a list) it came from. One command per process.
    private static readonly Dictionary<string, List<(string Value, string Origin)>> FromFile = new(StringComparer.Ordinal);

    private sealed class ConfigOption : Option<string>
    {
        public ConfigOption()
            : base(ConfigArguments.Name)
        {
            Description = "Read flags from this JSON file (keys: the flag names without dashes); a flag on the command line wins [default: none]";
            HelpName = "FILE";
        }
    }
}
