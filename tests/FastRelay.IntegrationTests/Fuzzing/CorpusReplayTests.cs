using FastRelay.Fuzz;

namespace FastRelay.IntegrationTests.Fuzzing;

/// <summary>
/// Replays every committed fuzz input (<c>tests/fuzz-corpus/TARGET/</c>: the seeds, and every crash a fuzz run
/// found, kept as a regression input) through its target on every CI run: each must load or fail with the
/// parser's named error (<see cref="FastRelay.Configuration.ConfigException"/>), never another exception.
/// Long runs are manual: <c>tools/fuzz.sh TARGET DURATION</c>.
/// </summary>
public sealed class CorpusReplayTests
{
    /// <summary>Every (target, file) pair of the committed corpus.</summary>
    public static TheoryData<string, string> Inputs()
    {
        var data = new TheoryData<string, string>();
        foreach (var target in FuzzTargets.All)
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(CorpusRoot(), target.Name), "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                data.Add(target.Name, Path.GetRelativePath(CorpusRoot(), file));
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void CorpusInput_RunsThroughItsTarget_WithoutUnexpectedException(string target, string file)
    {
        var bytes = File.ReadAllBytes(Path.Combine(CorpusRoot(), file));
        FuzzTargets.Find(target)!.Run(bytes); // Throws (fails the test) on anything but the named error.
    }

    [Fact]
    public void EveryTarget_HasACommittedCorpus_AndEveryCorpusFolderATarget()
    {
        var folders = Directory.EnumerateDirectories(CorpusRoot()).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(FuzzTargets.All.Select(t => t.Name).Order(StringComparer.Ordinal), folders);
        Assert.All(FuzzTargets.All, t => Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(CorpusRoot(), t.Name), "*", SearchOption.AllDirectories)));
    }

    private static string CorpusRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "fuzz-corpus");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException($"tests/fuzz-corpus not found above {AppContext.BaseDirectory}");
    }
}
