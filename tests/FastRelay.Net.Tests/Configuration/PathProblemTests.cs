using FastRelay.Configuration;

namespace FastRelay.Net.Tests.Configuration;

public sealed class PathProblemTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fastrelay-pathproblem-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void CreateDirectory_UnderAFile_NamesTheFileInTheWay()
    {
        var blocker = Path.Combine(_dir, "audit");
        File.WriteAllText(blocker, "a file, not a folder");
        var wanted = Path.Combine(blocker, "logs", "deep");

        var ex = Assert.Throws<IOException>(() => PathProblem.CreateDirectory(wanted));

        Assert.Equal($"cannot create the folder '{wanted}': '{blocker}' is a file, expected a directory", ex.Message);
    }

    [Fact]
    public void CreateDirectory_Fine_CreatesIt()
    {
        var wanted = Path.Combine(_dir, "a", "b");
        PathProblem.CreateDirectory(wanted);
        Assert.True(Directory.Exists(wanted));
    }

    [Fact]
    public void Describe_SomethingElse_KeepsTheRuntimesWords()
    {
        var ex = new IOException("disk on fire");
        Assert.Equal("disk on fire", PathProblem.Describe(Path.Combine(_dir, "fine"), ex));
    }
}
