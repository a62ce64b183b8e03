using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using FastRelay.Bench.Cli;
using FastRelay.Bench.Client;
using FastRelay.Bench.Targets;
using FastRelay.Tunnel.Noise;

namespace FastRelay.Bench.Tunnel;

/// <summary>
/// The tunnel path (<c>--tunnel</c>): throwaway X25519 keys, a <c>fastrelay gateway</c> child process dialling any
/// target, and the edge's flags that route echo and sink as <c>tunnel:</c> targets through it. The edge's admin
/// endpoint tells how many tunnel handshakes it made, so a phase can show that its sessions cost none.
/// </summary>
internal sealed partial class BenchTunnel : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);
    private readonly string _directory;
    private readonly string _edgePublicKey;
    private readonly string _gatewayPublicKey;
    private int _keepaliveRequests = 100;
    private string _relayExe = "";
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly IReadOnlyList<string> _gatewayArgs;

    private BenchTunnel(string directory, string edgePublicKey, string gatewayPublicKey, IPEndPoint gateway, int edgeAdminPort, IReadOnlyList<string> gatewayArgs)
    {
        _gatewayArgs = gatewayArgs;
        _directory = directory;
        _edgePublicKey = edgePublicKey;
        _gatewayPublicKey = gatewayPublicKey;
        Gateway = gateway;
        EdgeAdminPort = edgeAdminPort;
    }

    /// <summary>The gateway's tunnel address.</summary>
    public IPEndPoint Gateway { get; }

    /// <summary>The edge's admin port (for its tunnel metrics).</summary>
    public int EdgeAdminPort { get; }

    /// <summary>The gateway's admin endpoint (/status, /metrics).</summary>
    public IPEndPoint GatewayAdmin { get; } = FreePort.Pick();

    /// <summary>The gateway process, once started.</summary>
    public ChildProcess? Process { get; private set; }

    /// <summary>Writes the keys and starts the gateway; null with the reason when it does not come up within 20 s.</summary>
    public static Task<(BenchTunnel? Tunnel, string? Error)> StartAsync(RunOptions options, CancellationToken cancellationToken)
        => StartAsync(options.RelayExe!, options.TunnelKeepaliveRequests, [], cancellationToken);

    /// <summary>
    /// As above for <c>idle</c> and <c>soak</c>: <paramref name="gatewayArgs"/> are added to the gateway's flags
    /// (e.g. <c>--tunnel-max-streams</c>); <paramref name="keepaliveRequests"/> 0 keeps each tunnel connection for good.
    /// </summary>
    public static async Task<(BenchTunnel? Tunnel, string? Error)> StartAsync(string relayExe, int keepaliveRequests, IReadOnlyList<string> gatewayArgs,
        CancellationToken cancellationToken)
    {
        var directory = Directory.CreateTempSubdirectory("fastrelay-bench-tunnel-").FullName;
        var edge = WriteKey(directory, "edge.key");
        var gateway = WriteKey(directory, "gateway.key");
        var tunnel = new BenchTunnel(directory, edge, gateway, FreePort.Pick(), FreePort.Pick().Port, gatewayArgs) { _keepaliveRequests = keepaliveRequests };
        tunnel._relayExe = relayExe;
        var (started, error) = await tunnel.StartGatewayAsync(cancellationToken);
        if (!started)
        {
            await tunnel.DisposeAsync();
            return (null, error);
        }

        return (tunnel, null);
    }

    /// <summary>
    /// Kills the gateway process (SIGKILL: no drain, no GOAWAY, as a crash) and starts it again on the same port with
    /// the same key, as <c>soak</c>'s gateway restart does. False with the reason when it does not come back.
    /// </summary>
    public async Task<(bool Started, string? Error)> RestartGatewayAsync(CancellationToken cancellationToken)
    {
        if (Process is not null)
        {
            await Process.DisposeAsync();
        }

        return await StartGatewayAsync(cancellationToken);
    }

    private async Task<(bool Started, string? Error)> StartGatewayAsync(CancellationToken cancellationToken)
    {
        var tunnel = this;
        tunnel.Process = ChildProcess.Start(tunnel.GatewayStartInfo(_relayExe), line => line.Contains("gateway running", StringComparison.Ordinal));
        var waited = Stopwatch.StartNew();
        while (!tunnel.Process.AwaitedLine.IsCompleted)
        {
            if (tunnel.Process.ExitCode is not null || waited.Elapsed > StartTimeout)
            {
                return (false, $"gateway did not start: {tunnel.Process.DescribeOutput()}");
            }

            await Task.Delay(50, cancellationToken);
        }

        return (true, null);
    }

    /// <summary>The edge's flags for the tunnel (its routes are written with <c>tunnel:</c> by <see cref="RelayProcess"/>).</summary>
    public IEnumerable<string> EdgeArgs() =>
    [
        "--gateway", Gateway.ToString(), "--tunnel-key", Path.Combine(_directory, "edge.key"), "--gateway-key", _gatewayPublicKey,
        "--tunnel-prewarm", "4", "--keepalive", "8", "--keepalive-requests", _keepaliveRequests.ToString(CultureInfo.InvariantCulture),
    ];

    /// <summary>Successful tunnel handshakes the edge has made so far (from its /metrics); null when unreadable.</summary>
    public async Task<long?> EdgeHandshakesAsync(CancellationToken cancellationToken)
    {
        try
        {
            var metrics = await _http.GetStringAsync($"http://127.0.0.1:{EdgeAdminPort}/metrics", cancellationToken);
            return HandshakeLine().Matches(metrics).Sum(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return null; // The report says "unknown" rather than failing the run over a metric.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Process is not null)
        {
            await Process.DisposeAsync();
        }

        _http.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless; the OS cleans /tmp.
        }
    }

    private static string WriteKey(string directory, string name)
    {
        using var key = X25519Dh.Instance.GenerateKeyPair();
        var path = Path.Combine(directory, name);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite; // fastrelay refuses a key others may read.
        }

        using (var writer = new StreamWriter(path, options))
        {
            writer.WriteLine(Convert.ToBase64String(key.PrivateKey));
        }

        return key.PublicKeyBase64;
    }

    private ProcessStartInfo GatewayStartInfo(string relayExe)
    {
        var exe = Path.GetFullPath(relayExe);
        var isDll = exe.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);
        var info = new ProcessStartInfo(isDll ? "dotnet" : exe);
        string[] args =
        [
            "gateway", "--listen", Gateway.ToString(), "--tunnel-key", Path.Combine(_directory, "gateway.key"), "--edge-key", _edgePublicKey,
            "--allow-any-target", "--audit", "off", "--admin", GatewayAdmin.ToString(), "--log-level", "information",
        ];
        foreach (var arg in (isDll ? [exe] : Array.Empty<string>()).Concat(args).Concat(_gatewayArgs))
        {
            info.ArgumentList.Add(arg);
        }

        if (ClientRuntime.HarnessSetInline)
        {
            _ = info.Environment.Remove(ClientRuntime.InlineCompletionsVariable); // The gateway runs with its own defaults.
        }

        return info;
    }

    [GeneratedRegex("fastrelay_tunnel_handshakes_total\\{[^}]*outcome=\"ok\"[^}]*\\} (\\d+)")]
    private static partial Regex HandshakeLine();
}
