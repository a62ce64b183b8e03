using FastRelay.CommandLine;
using FastRelay.Configuration;
using FastRelay.Filtering;

namespace FastRelay.Fuzz;

/// <summary>
/// The loaders of files users write by hand: a policy reload or an edge start must answer any bytes with a
/// loaded result or a <see cref="ConfigException"/> that lists what is wrong, never another exception.
/// </summary>
public static class ConfigTargets
{
    /// <summary>A security-group policy file (<c>--policy</c>, reloaded on change).</summary>
    public static void Policy(ReadOnlySpan<byte> data)
    {
        try
        {
            _ = PolicyLoader.Load(data);
        }
        catch (ConfigException ex) when (ex.Errors.Count > 0)
        {
            // The named error for a bad file: what a reload logs while keeping the running policy.
        }
    }

    /// <summary>A <c>--config FILE</c> of <c>fastrelay edge</c>, read as <c>EdgeCommand</c> reads it (file, then options).</summary>
    public static void EdgeConfig(ReadOnlySpan<byte> data)
    {
        var errors = new List<ConfigError>();
        var settings = ConfigFile.Parse(data.ToArray(), "fuzz.json", EdgeFlags.All, errors, EdgeFlags.Planned.Keys);
        settings.RemoveAll(s => EdgeFlags.Planned.ContainsKey(s.Name)); // EdgeCommand lists these as errors of their own.
        try
        {
            _ = EdgeOptionsReader.Read(settings);
        }
        catch (ConfigException ex) when (ex.Errors.Count > 0)
        {
            // The named error: exit 2 with every problem listed.
        }

        // Every error must print as a line naming its input (what ExitCodes.PrintConfigErrors writes).
        foreach (var error in errors)
        {
            _ = error.ToString();
        }
    }
}
