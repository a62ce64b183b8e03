using SharpFuzz;

namespace FastRelay.Fuzz;

/// <summary>
/// <c>fastrelay-fuzz TARGET</c>: runs one target under AFL++ (tools/fuzz.sh starts it as
/// <c>afl-fuzz ... -- dotnet fastrelay-fuzz.dll TARGET</c> on instrumented assemblies);
/// <c>fastrelay-fuzz TARGET --libfuzzer</c> for libFuzzer's driver; <c>fastrelay-fuzz TARGET --replay PATH...</c>
/// runs files or folders once each and names the first input that fails; <c>fastrelay-fuzz --list</c>;
/// <c>fastrelay-fuzz --seeds DIR</c> writes the tunnel targets' seeds.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "--list" or "--help" or "-h")
        {
            Console.WriteLine("usage: fastrelay-fuzz TARGET [--libfuzzer | --replay PATH...] | --seeds DIR   (tools/fuzz.sh TARGET DURATION)");
            foreach (var t in FuzzTargets.All)
            {
                Console.WriteLine($"  {t.Name,-10} {t.Description}");
            }

            return args.Length == 0 ? 2 : 0;
        }

        if (args[0] == "--seeds" && args.Length == 2)
        {
            return TunnelSeeds.Write(args[1]); // Regenerates the tunnel targets' seeds (tests/fuzz-corpus/README.md).
        }

        if (FuzzTargets.Find(args[0]) is not { } target)
        {
            Console.Error.WriteLine($"fastrelay-fuzz: unknown target '{args[0]}'; expected one of {string.Join(", ", FuzzTargets.All.Select(t => t.Name))}");
            return 2;
        }

        if (args.Length > 1 && args[1] == "--replay")
        {
            return Replay(target, args[2..]);
        }

        if (args.Length > 1 && args[1] == "--libfuzzer")
        {
            Fuzzer.LibFuzzer.Run(span => target.Run(span));
            return 0;
        }

        // AFL++ persistent mode in this process: each input arrives as a stream.
        Fuzzer.Run(stream =>
        {
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            target.Run(copy.GetBuffer().AsSpan(0, (int)copy.Length));
        });
        return 0;
    }

    private static int Replay(FuzzTarget target, string[] paths)
    {
        var files = paths.SelectMany(p => Directory.Exists(p) ? Directory.EnumerateFiles(p, "*", SearchOption.AllDirectories) : [p]).Order(StringComparer.Ordinal).ToList();
        foreach (var file in files)
        {
            try
            {
                target.Run(File.ReadAllBytes(file));
            }
            catch (Exception ex)
            {
                Console.Error.WriteLine($"fastrelay-fuzz: {target.Name}: {file}: {ex}");
                return 1;
            }
        }

        Console.WriteLine($"fastrelay-fuzz: {target.Name}: {files.Count} inputs, no finding");
        return 0;
    }
}
