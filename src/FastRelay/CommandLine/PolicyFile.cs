using FastRelay.Configuration;
using FastRelay.Filtering;

namespace FastRelay.CommandLine;

/// <summary>Reads a policy file for the <c>policy</c> commands: the exe reads the bytes, Core validates them.</summary>
internal static class PolicyFile
{
    // Thousands of rules take a few MiB of JSON; the bound is for a wrong path (/dev/zero, a log), read at start and on every reload.
    private const int MaxBytes = 16 << 20;

    /// <summary>Loads <paramref name="path"/>; on failure every problem is in <paramref name="errors"/>, one line each.</summary>
    public static SecurityPolicy? TryLoad(string path, List<string> errors)
    {
        if (!OperatorFile.TryRead(path, MaxBytes, "policy JSON", out var bytes, out var problem))
        {
            errors.Add(problem); // The callers name the file.
            return null;
        }

        try
        {
            return PolicyLoader.Load(bytes);
        }
        catch (ConfigException ex)
        {
            errors.AddRange(ex.Errors.Select(e => e.ToString()));
            return null;
        }
    }

    /// <summary>Prints <paramref name="errors"/> to stderr under a header naming <paramref name="subject"/>; returns exit code 2.</summary>
    public static int PrintErrors(string subject, IReadOnlyList<string> errors)
    {
        Console.Error.WriteLine($"fastrelay: {subject}: {errors.Count} error{(errors.Count == 1 ? "" : "s")}:");
        foreach (var error in errors)
        {
            Console.Error.WriteLine("  " + ConfigArguments.NameOrigin(error));
        }

        return ExitCodes.BadConfiguration;
    }
}
