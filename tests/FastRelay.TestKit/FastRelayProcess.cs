using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Xunit;

namespace FastRelay.TestKit;

/// <summary>
/// The real <c>fastrelay</c> executable as a child process (the copy built next to the tests), with its
/// output captured, for the behaviour only a process has: exit codes, signals, stderr.
/// </summary>
/// <remarks>
/// Each process runs in a fresh temporary working directory (<see cref="WorkingDirectory"/>, removed on
/// dispose), so that what the relay writes there by default (the SQLite audit log, its spool) never lands
/// in the test runner's folder or leaks between tests.
/// </remarks>
public sealed class FastRelayProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly bool _ownsDirectory;

    private FastRelayProcess(Process process, string workingDirectory, bool ownsDirectory)
    {
        _process = process;
        WorkingDirectory = workingDirectory;
        _ownsDirectory = ownsDirectory;
        _process.OutputDataReceived += (_, e) => Append(_stdout, e.Data);
        _process.ErrorDataReceived += (_, e) => Append(_stderr, e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>What the process wrote to stdout so far.</summary>
    public string StandardOutput { get { lock (_stdout) { return _stdout.ToString(); } } }

    /// <summary>What the process wrote to stderr so far.</summary>
    public string StandardError { get { lock (_stderr) { return _stderr.ToString(); } } }

    /// <summary>The process's working directory (where <c>fastrelay-audit.db</c> goes by default).</summary>
    public string WorkingDirectory { get; }

    /// <summary>True once the process has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The process id.</summary>
    public int Id => _process.Id;

    /// <summary>Starts <c>fastrelay</c> with <paramref name="args"/>.</summary>
    public static FastRelayProcess Start(params string[] args) => StartWithFileLimit(null, args);

    /// <summary>
    /// Starts <c>fastrelay</c> with at most <paramref name="maxOpenFiles"/> file descriptors (through
    /// util-linux <c>prlimit</c>, which execs, so <see cref="Id"/> is the relay's own pid).
    /// </summary>
    public static FastRelayProcess StartWithFileLimit(int? maxOpenFiles, params string[] args) => StartCore(maxOpenFiles, null, args);

    /// <summary>Starts <c>fastrelay</c> in <paramref name="workingDirectory"/> (kept on dispose).</summary>
    public static FastRelayProcess StartIn(string workingDirectory, params string[] args) => StartCore(null, workingDirectory, args);

    /// <summary>Runs <c>fastrelay</c> in <paramref name="workingDirectory"/> to its exit (bounded).</summary>
    public static async Task<FastRelayProcess> RunInAsync(string workingDirectory, params string[] args)
    {
        var process = StartIn(workingDirectory, args);
        await process.WaitForExitAsync();
        return process;
    }

    private static FastRelayProcess StartCore(int? maxOpenFiles, string? workingDirectory, string[] args, IReadOnlyDictionary<string, string>? environment = null,
        bool interruptIgnored = false, string? umask = null)
    {
        var owns = workingDirectory is null;
        workingDirectory ??= Directory.CreateTempSubdirectory("fastrelay-process-").FullName;
        var start = new ProcessStartInfo(umask is not null ? "sh" : maxOpenFiles is null ? "env" : "prlimit")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        if (umask is not null)
        {
            // The shell sets the mask and execs env, which execs the relay: Id stays the relay's own pid.
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add($"umask {umask} && exec env \"$@\"");
            start.ArgumentList.Add("sh");
        }

        if (maxOpenFiles is { } limit)
        {
            start.ArgumentList.Add($"--nofile={limit}:{limit}");
            start.ArgumentList.Add("env");
        }

        // SIGINT back to its default: a test runner started in the background (`.ci/run &`) ignores SIGINT, its
        // children inherit that, and the .NET runtime then never handles it, so the SIGINT tests would test nothing.
        // env and prlimit exec, so Id stays the relay's own pid.
        start.ArgumentList.Add(interruptIgnored ? "--ignore-signal=INT" : "--default-signal=INT");
        start.ArgumentList.Add("dotnet");

        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "fastrelay.dll"));
        foreach (var arg in WithOwnAdminPort(args))
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        return new FastRelayProcess(Process.Start(start)!, workingDirectory, owns);
    }

    /// <summary>
    /// Tests start several edges at once: unless a test chooses <c>--admin</c> itself, each gets its own
    /// admin port (port 0; <see cref="AdminEndPointAsync"/> reads it from the log) instead of all
    /// colliding on the default 127.0.0.1:9901.
    /// </summary>
    private static string[] WithOwnAdminPort(string[] args) =>
        args.Length > 0 && args[0] is "edge" or "demo" or "gateway" && !args.Contains("--admin") && !args.Contains("--help") ? [.. args, "--admin", "127.0.0.1:0"] : args;

    /// <summary>
    /// Starts <c>fastrelay</c> with SIGINT ignored, as a non-interactive shell starts a background job
    /// (<c>fastrelay edge ... &amp;</c>).
    /// </summary>
    public static FastRelayProcess StartWithInterruptIgnored(params string[] args) => StartCore(null, null, args, interruptIgnored: true);

    /// <summary>Runs <c>fastrelay</c> to its exit (bounded) under the file-creation mask <paramref name="umask"/> (octal, "000").</summary>
    public static async Task<FastRelayProcess> RunWithUmaskAsync(string umask, params string[] args)
    {
        var process = StartCore(null, null, args, umask: umask);
        await process.WaitForExitAsync();
        return process;
    }

    /// <summary>Starts <c>fastrelay</c> with <paramref name="environment"/> added to its environment (NOTIFY_SOCKET).</summary>
    public static FastRelayProcess StartWithEnvironment(IReadOnlyDictionary<string, string> environment, params string[] args) =>
        StartCore(null, null, args, environment);

    /// <summary>Waits for the "Admin endpoint listening on http://ADDR:PORT" line and returns the address.</summary>
    public async Task<IPEndPoint> AdminEndPointAsync()
    {
        const string marker = "Admin endpoint listening on http://";
        IPEndPoint? found = null;
        Assert.True(await TestTimeouts.EventuallyAsync(() =>
        {
            var output = StandardOutput;
            var at = output.LastIndexOf(marker, StringComparison.Ordinal);
            if (at < 0)
            {
                Assert.False(_process.HasExited, $"fastrelay exited early: {StandardError}");
                return false;
            }

            var rest = output[(at + marker.Length)..];
            return IPEndPoint.TryParse(rest[..rest.IndexOf(' ', StringComparison.Ordinal)], out found);
        }), $"fastrelay never logged its admin address: {StandardOutput}{StandardError}");
        return found!;
    }

    /// <summary>
    /// As <see cref="AdminEndPointAsync"/>, and waits for the "... running: ..." line too: POST /reload and /drain are
    /// answered 503 until then (the admin endpoint starts before the listeners).
    /// </summary>
    public async Task<IPEndPoint> AdminActionsEndPointAsync()
    {
        var admin = await AdminEndPointAsync();
        Assert.True(await TestTimeouts.EventuallyAsync(() => StandardOutput.Contains(" running: ", StringComparison.Ordinal) || _process.HasExited),
            $"fastrelay never logged that it runs: {StandardOutput}{StandardError}");
        return admin;
    }

    /// <summary>Runs <c>fastrelay</c> to its exit (bounded) and returns the finished process.</summary>
    public static async Task<FastRelayProcess> RunAsync(params string[] args)
    {
        var process = Start(args);
        await process.WaitForExitAsync();
        return process;
    }

    /// <summary>Waits for the exit (bounded by <see cref="TestTimeouts.Default"/>) and returns the exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan? timeout = null)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout ?? TestTimeouts.Default);
        _process.WaitForExit(); // Flushes the redirected output.
        return _process.ExitCode;
    }

    /// <summary>CPU time (user + system) the process has used so far, from /proc/PID/stat.</summary>
    public TimeSpan CpuTime()
    {
        var fields = File.ReadAllText($"/proc/{_process.Id}/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var ticks = long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / 100.0); // USER_HZ is 100 on Linux.
    }

    /// <summary>Sends a POSIX signal (TERM, INT, HUP) to the process.</summary>
    public void Signal(string name)
    {
        using var kill = Process.Start("kill", $"-{name} {_process.Id}");
        kill.WaitForExit();
    }

    /// <summary>Waits until the process accepts TCP connections on <paramref name="endPoint"/>.</summary>
    public async Task WaitUntilListeningAsync(IPEndPoint endPoint)
    {
        Assert.True(await TestTimeouts.EventuallyAsync(() =>
        {
            Assert.False(_process.HasExited, $"fastrelay exited early: {StandardError}");
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                probe.Connect(endPoint);
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
        }), $"fastrelay never listened on {endPoint}: {StandardError}");
    }

    /// <summary>A 127.0.0.1 address for the process to listen on, reserved for this test run (<see cref="LoopbackPorts"/>).</summary>
    public static IPEndPoint FreeEndPoint() => LoopbackPorts.Reserve();

    /// <inheritdoc />
    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
        if (_ownsDirectory)
        {
            try
            {
                Directory.Delete(WorkingDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A file still held open by a dying child: the OS temp cleaner takes it later.
            }
        }
    }

    private static void Append(StringBuilder builder, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (builder)
        {
            builder.AppendLine(line);
        }
    }
}
