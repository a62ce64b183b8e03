using System.Diagnostics;
using Npgsql;
using Xunit;

namespace FastRelay.TestKit;

/// <summary>
/// A real, throwaway PostgreSQL server for the audit tests: <c>initdb</c> into a temporary folder and
/// <c>pg_ctl start</c> on a free loopback port (about 3 s), shared by a test collection
/// (<c>ICollectionFixture</c>) and stopped and deleted at the end. Each test takes its own database
/// (<see cref="CreateDatabaseAsync"/>).
/// </summary>
/// <remarks>
/// PostgreSQL refuses to run as root, so when the tests run as root (CI, these VMs) the server's binaries run
/// as the <c>postgres</c> user (<c>runuser</c>) in a folder it owns. PostgreSQL missing is a failure, never a
/// skip: tools/test.sh installs it (<c>apt-get install -y postgresql</c>).
/// </remarks>
public sealed class PostgresServer : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("fastrelay-pg-").FullName;
    private string _bin = "";
    private int _databases;

    /// <summary>The server's port on 127.0.0.1.</summary>
    public int Port { get; private set; }

    private string DataDirectory => Path.Combine(_root, "data");

    private static bool IsRoot => Environment.UserName == "root";

    /// <summary>Installs nothing: finds the binaries, creates the cluster and starts the server.</summary>
    public async Task InitializeAsync()
    {
        _bin = FindBinaries();
        if (IsRoot)
        {
            await RunAsync("chown", "-R", "postgres:postgres", _root);
        }

        await RunServerToolAsync("initdb", "-D", DataDirectory, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync");
        Port = FreePort();
        await StartAsync();
    }

    /// <summary>Starts the server (again, after <see cref="StopAsync"/>), on the same port and data.</summary>
    public Task StartAsync() =>
        RunServerToolAsync("pg_ctl", "-D", DataDirectory, "-l", Path.Combine(_root, "server.log"), "-w", "-t", "60",
            "-o", $"-p {Port} -k {_root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", "start");

    /// <summary>Stops the server at once (fast mode: open sessions are cut, as in an outage).</summary>
    public Task StopAsync() => RunServerToolAsync("pg_ctl", "-D", DataDirectory, "-m", "fast", "-w", "-t", "60", "stop");

    /// <summary>A new empty database; returns its Npgsql connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"audit_{Interlocked.Increment(ref _databases)}";
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await create.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    /// <summary>The connection string for <paramref name="database"/>.</summary>
    public string ConnectionString(string database) => $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Pooling=false";

    /// <summary>Stops the server and deletes its folder.</summary>
    public async Task DisposeAsync()
    {
        if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
        {
            await RunServerToolAsync("pg_ctl", "-D", DataDirectory, "-m", "immediate", "-w", "stop");
        }

        Directory.Delete(_root, recursive: true);
    }

    private static string FindBinaries()
    {
        var found = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => Path.Combine(d, "bin"))
                .Where(b => File.Exists(Path.Combine(b, "initdb")) && File.Exists(Path.Combine(b, "pg_ctl")))
                .OrderByDescending(b => int.TryParse(Path.GetFileName(Path.GetDirectoryName(b)), out var v) ? v : 0)
                .FirstOrDefault()
            : null;
        return found ?? throw new InvalidOperationException(
            "PostgreSQL is not installed (no initdb and pg_ctl under /usr/lib/postgresql/*/bin): the audit tests need a real server. " +
            "Run ./tools/test.sh, which installs it, or: apt-get update && apt-get install -y postgresql");
    }

    private Task RunServerToolAsync(string tool, params string[] args)
    {
        var path = Path.Combine(_bin, tool);
        return IsRoot ? RunAsync("runuser", ["-u", "postgres", "--", path, .. args]) : RunAsync(path, args);
    }

    private static async Task RunAsync(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(90));
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {process.ExitCode}: {await stdout} {await stderr}");
        }
    }

    // Reserved, not just free a moment ago: PostgreSQL binds with SO_REUSEADDR, as LoopbackPorts needs.
    private static int FreePort() => LoopbackPorts.Reserve().Port;
}
