using System.CommandLine;
using FastRelay.Configuration;

namespace FastRelay.CommandLine;

/// <summary>
/// Binds <see cref="FlagSpec"/>s to System.CommandLine options and reads them back as <see cref="RawSetting"/>s,
/// so that every value is validated by the pure readers in Core (which list every error at once) rather than
/// by the parser (which stops at types).
/// </summary>
internal sealed class FlagOptions
{
    private readonly List<(FlagSpec Spec, Option<string[]> Option)> _options = [];

    /// <summary>Creates one option per flag (and a hidden one per <paramref name="planned"/> name) and adds them to <paramref name="command"/>.</summary>
    public FlagOptions(Command command, IReadOnlyList<FlagSpec> flags, IEnumerable<string>? planned = null)
    {
        var all = flags.Select(f => (Spec: f, Hidden: false))
            .Concat((planned ?? []).Select(name => (Spec: new FlagSpec(name, "VALUE", "", Repeatable: true), Hidden: true)));
        foreach (var (flag, hidden) in all)
        {
            var option = new Option<string[]>("--" + flag.Name)
            {
                Description = flag.Description,
                HelpName = flag.ValueName,
                Arity = flag.Switch ? ArgumentArity.ZeroOrOne : ArgumentArity.OneOrMore,
                Hidden = hidden,

                // One value per occurrence: "--listen a --listen b", never "--listen a b".
                AllowMultipleArgumentsPerToken = false,

                // The tokens as they are (Read takes them, the readers in Core check them). Without it a switch's
                // value (arity zero or one) goes through the parser's own conversion, which refuses "false" as a
                // string[]: "--recheck-established false" failed.
                CustomParser = result => [.. result.Tokens.Select(t => t.Value)],
            };
            command.Options.Add(option);
            _options.Add((flag, option));
        }
    }

    /// <summary>The flags given on the command line, in order, one setting per occurrence.</summary>
    public List<RawSetting> Read(ParseResult parseResult)
    {
        var settings = new List<RawSetting>();
        foreach (var (spec, option) in _options)
        {
            if (parseResult.GetResult(option) is { Implicit: false } result)
            {
                settings.AddRange(result.Tokens.Select(t => new RawSetting(spec.Name, t.Value, "--" + spec.Name)));
                if (spec.Switch && result.Tokens.Count == 0)
                {
                    settings.Add(new RawSetting(spec.Name, "true", "--" + spec.Name));
                }
            }
        }

        return settings;
    }

    /// <summary>
    /// Merges the config file under the command line: a flag given on the command line replaces every
    /// value of that name from the file (for repeatable flags too, so a script can override a whole list).
    /// </summary>
    public static List<RawSetting> Merge(List<RawSetting> fromFile, List<RawSetting> fromCommandLine)
    {
        var overridden = fromCommandLine.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        return [.. fromFile.Where(s => !overridden.Contains(s.Name)), .. fromCommandLine];
    }
}
