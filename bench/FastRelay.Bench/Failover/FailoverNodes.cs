using System.Diagnostics;
using System.Globalization;
using System.Net;
using FastRelay.Bench.Client;
using FastRelay.Bench.Targets;
using FastRelay.Configuration;
using FastRelay.Tunnel.Noise;

namespace FastRelay.Bench.Failover;

/// <summary>
/// The dual-gateway setup of README "Dual gateways and failover", as child processes: throwaway keys (one for the
/// edge, one shared by both gateways, mode 0600 as <c>fastrelay keygen</c> writes them), two <c>fastrelay gateway</c>s
/// and one <c>fastrelay edge</c> with both <c>--gateway</c>s and a <c>tunnel:</c> route to the echo backend.
/// Disposing kills every process by its PID (a stopped gateway is continued first, so that it can die).
/// </summary>
internal sealed class FailoverNodes : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);
    private readonly string _directory;
    private readonly List<ChildProcess> _processes = [];

    private FailoverNodes(string directory) => _directory = directory;

    /// <summary>The gateways, in the order of the edge's <c>--gateway</c> flags; the first is the one killed.</summary>
    public IReadOnlyList<ChildProcess> Gateways => _processes.Where(p => p != Edge).ToList();

    /// <summary>The edge process.</summary>
    public ChildProcess? Edge { get; private set; }

    /// <summary>The edge's listener (service <c>svc</c>).</summary>
    public IPEndPoint? Listen { get; private set; }

    /// <summary>The edge's command line, for the report.</summary>
    public string EdgeCommand => Edge?.CommandLine ?? "";

    /// <summary>Starts both gateways and the edge; null with the reason (and the process output) on failure.</summary>
    public static async Task<(FailoverNodes? Nodes, string? Error)> StartAsync(FailoverOptions options, IPEndPoint echo, CancellationToken cancellationToken)
    {
        var nodes = new FailoverNodes(Directory.CreateTempSubdirectory("fastrelay-bench-failover-").FullName);
        var edgeKey = nodes.WriteKey("edge.key");
        var gatewayKey = nodes.WriteKey("gateway.key");
        var ping = ValueSyntax.FormatDuration(options.PingInterval);
        var gateways = new[] { FreePort.Pick(), FreePort.Pick() };
        foreach (var gateway in gateways)
        {
            var child = ChildProcess.Start(StartInfo(options.RelayExe,
                ["gateway", "--listen", gateway.ToString(), "--tunnel-key", Path.Combine(nodes._directory, "gateway.key"), "--edge-key", edgeKey,
                 "--allow-any-target", "--ping-interval", ping, "--audit", "off", "--admin", "off", "--log-level", "information"]),
                line => line.Contains("gateway running", StringComparison.Ordinal));
            nodes._processes.Add(child);
            if (await WaitAsync(() => child.AwaitedLine.IsCompleted, child, cancellationToken) is { } error)
            {
                await nodes.DisposeAsync();
                return (null, $"gateway on {gateway} did not start: {error}\n{child.DescribeOutput()}");
            }
        }

        nodes.Listen = FreePort.Pick();
        nodes.Edge = ChildProcess.Start(StartInfo(options.RelayExe,
            ["edge", "--listen", $"svc@{nodes.Listen}", "--route", $"svc=tunnel:{echo}",
             "--gateway", gateways[0].ToString(), "--gateway", gateways[1].ToString(),
             "--tunnel-key", Path.Combine(nodes._directory, "edge.key"), "--gateway-key", gatewayKey, "--ping-interval", ping,
             "--max-connections", (options.Sessions + (options.NewPerSecond * 10) + 1000).ToString(CultureInfo.InvariantCulture),
             "--audit", "off", "--admin", "off", "--log-level", "warning", .. options.RelayArgs]));
        nodes._processes.Add(nodes.Edge);
        if (await WaitAsync(() => Accepts(nodes.Listen), nodes.Edge, cancellationToken) is { } edgeError)
        {
            await nodes.DisposeAsync();
            return (null, $"edge did not listen on {nodes.Listen}: {edgeError}\n{nodes.Edge.DescribeOutput()}");
        }

        return (nodes, null);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            if (process.ExitCode is null)
            {
                _ = Signals.Continue(process.Process.Id); // A stopped process cannot die until it runs again; a running one ignores this.
            }

            await process.DisposeAsync();
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless; the OS cleans /tmp.
        }
    }

    private static async Task<string?> WaitAsync(Func<bool> ready, ChildProcess child, CancellationToken cancellationToken)
    {
        var waited = Stopwatch.StartNew();
        while (!ready())
        {
            if (child.ExitCode is { } code)
            {
                await child.WaitForExitAsync(cancellationToken); // Drains the output readers for the report.
                return $"exited with code {code}";
            }

            if (waited.Elapsed > StartTimeout)
            {
                return $"not ready within {StartTimeout.TotalSeconds:0} s";
            }

            await Task.Delay(50, cancellationToken);
        }

        return null;
    }

    private static bool Accepts(IPEndPoint endPoint)
    {
        try
        {
            using var probe = new System.Net.Sockets.Socket(endPoint.AddressFamily, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            probe.Connect(endPoint);
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false; // Not listening yet.
        }
    }

    private static ProcessStartInfo StartInfo(string relayExe, IEnumerable<string> args)
    {
        var exe = Path.GetFullPath(relayExe);
        var isDll = exe.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);
        var info = new ProcessStartInfo(isDll ? "dotnet" : exe);
        foreach (var arg in (isDll ? [exe] : Array.Empty<string>()).Concat(args))
        {
            info.ArgumentList.Add(arg);
        }

        if (ClientRuntime.HarnessSetInline)
        {
            _ = info.Environment.Remove(ClientRuntime.InlineCompletionsVariable); // The relay runs with its own defaults.
        }

        return info;
    }

    private string WriteKey(string name)
    {
        using var key = X25519Dh.Instance.GenerateKeyPair();
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite; // fastrelay refuses a key others may read.
        }

        using (var writer = new StreamWriter(Path.Combine(_directory, name), options))
        {
            writer.WriteLine(Convert.ToBase64String(key.PrivateKey));
        }

        return key.PublicKeyBase64;
    }
}
