using System.Diagnostics;
using System.Net;
using FastRelay.Bench.Cli;
using FastRelay.Bench.Client;

namespace FastRelay.Bench.Targets;

/// <summary>
/// The relay under test as a child process: <c>fastrelay edge</c> with one listener and one route per backend,
/// plus the user's <c>--relay-arg</c>s. Killed by PID on dispose.
/// </summary>
internal sealed class RelayProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    private RelayProcess(ChildProcess child, BenchTarget target)
    {
        Child = child;
        Target = target;
    }

    /// <summary>The relay's echo and sink listeners.</summary>
    public BenchTarget Target { get; }

    /// <summary>The running process.</summary>
    public ChildProcess Child { get; }

    /// <summary>
    /// Starts the relay routing to the two backends and waits (at most 20 s) until both of its listeners accept.
    /// Returns null and an error (with the relay's last output) if it does not come up.
    /// </summary>
    public static async Task<(RelayProcess? Relay, string? Error)> StartAsync(
        RunOptions options, IPEndPoint echoBackend, IPEndPoint sinkBackend, CancellationToken cancellationToken, Tls.BenchPki? pki = null,
        Tunnel.BenchTunnel? tunnel = null)
    {
        var name = tunnel is not null ? BenchTarget.TunnelName : pki is null ? BenchTarget.RelayName : BenchTarget.MutualTlsName;
        var target = new BenchTarget(name, FreePort.Pick(), FreePort.Pick(), pki is null ? null : new Tls.TlsClient(pki, options.TlsResume));
        var relay = new RelayProcess(ChildProcess.Start(StartInfo(options, target, echoBackend, sinkBackend, pki, tunnel)), target);
        var error = await relay.WaitUntilListeningAsync(cancellationToken);
        if (error is null)
        {
            return (relay, null);
        }

        await relay.DisposeAsync();
        return (null, $"{error}\n{relay.Child.DescribeOutput()}");
    }

    private static ProcessStartInfo StartInfo(RunOptions options, BenchTarget target, IPEndPoint echo, IPEndPoint sink, Tls.BenchPki? pki, Tunnel.BenchTunnel? tunnel)
    {
        // --tunnel: the same routes as tunnel: targets, through the gateway (which dials the backends).
        var via = tunnel is null ? "" : "tunnel:";
        var exe = Path.GetFullPath(options.RelayExe!);
        var isDll = exe.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);
        var info = new ProcessStartInfo(isDll ? "dotnet" : exe);
        string[] args =
        [
            "edge",
            "--listen", $"echo@{target.Echo}", "--listen", $"sink@{target.Sink}",
            "--route", $"echo={via}{echo}", "--route", $"sink={via}{sink}",
            "--log-level", "warning",

            // Its own admin port: the harness may run beside an edge (or another harness) holding 9901. The tunnel
            // edge's is known, for its handshake count. A --relay-arg=--admin (or --admin=off) replaces it.
            .. options.RelayArgs.Any(a => a == "--admin" || a.StartsWith("--admin=", StringComparison.Ordinal) || a.StartsWith("--admin:", StringComparison.Ordinal))
                ? Array.Empty<string>() : ["--admin", $"127.0.0.1:{tunnel?.EdgeAdminPort ?? 0}"],
        ];
        foreach (var arg in (isDll ? [exe] : Array.Empty<string>()).Concat(args).Concat(pki?.RelayArgs() ?? []).Concat(tunnel?.EdgeArgs() ?? []).Concat(options.RelayArgs))
        {
            info.ArgumentList.Add(arg);
        }

        if (ClientRuntime.HarnessSetInline)
        {
            _ = info.Environment.Remove(ClientRuntime.InlineCompletionsVariable); // The relay runs with its own defaults.
        }

        foreach (var (name, value) in options.RelayEnvironment)
        {
            info.Environment[name] = value;
        }

        return info;
    }

    private async Task<string?> WaitUntilListeningAsync(CancellationToken cancellationToken)
    {
        var waited = Stopwatch.StartNew();
        foreach (var endPoint in new[] { Target.Echo!, Target.Sink! })
        {
            while (true)
            {
                if (Child.ExitCode is { } code)
                {
                    await Child.WaitForExitAsync(cancellationToken); // Drains the output readers for the report.
                    return $"relay exited with code {code} before listening on {endPoint}";
                }

                if (await AcceptsAsync(endPoint, cancellationToken))
                {
                    break;
                }

                if (waited.Elapsed > StartTimeout)
                {
                    return $"relay did not accept on {endPoint} within {StartTimeout.TotalSeconds:0} s";
                }

                await Task.Delay(50, cancellationToken);
            }
        }

        return null;
    }

    private static async Task<bool> AcceptsAsync(IPEndPoint endPoint, CancellationToken cancellationToken)
    {
        try
        {
            using var probe = await ClientSocket.ConnectAsync(endPoint, TimeSpan.FromSeconds(1), cancellationToken);
            return true;
        }
        catch (Exception ex) when (ClientSocket.IsNetworkFailure(ex))
        {
            return false; // Not listening yet (refused) or still starting (timeout): try again.
        }
    }

    /// <inheritdoc cref="ChildProcess.DisposeAsync"/>
    public ValueTask DisposeAsync() => Child.DisposeAsync();
}
