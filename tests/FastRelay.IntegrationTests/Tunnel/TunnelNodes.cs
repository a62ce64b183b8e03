using System.Net;
using FastRelay.TestKit;
using FastRelay.Tunnel.Noise;

namespace FastRelay.IntegrationTests.Tunnel;

/// <summary>
/// Key files for an edge and a gateway in a temporary directory (as fastrelay keygen writes them: one base64 line,
/// mode 0600), and helpers that start the two processes the way the README shows.
/// </summary>
internal sealed class TunnelNodes : IDisposable
{
    public TunnelNodes()
    {
        Directory = Path.Combine(Path.GetTempPath(), $"fastrelay-tunnel-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(Directory);
        EdgePublicKey = WriteKey("edge.key");
        GatewayPublicKey = WriteKey("gateway.key");
    }

    public string Directory { get; }

    public string EdgeKeyFile => Path.Combine(Directory, "edge.key");

    public string GatewayKeyFile => Path.Combine(Directory, "gateway.key");

    public string EdgePublicKey { get; }

    public string GatewayPublicKey { get; }

    /// <summary>Starts a gateway on a free port with extra flags; returns it once it serves.</summary>
    public Task<(FastRelayProcess Process, IPEndPoint EndPoint)> StartGatewayAsync(params string[] flags) =>
        StartGatewayOnAsync(FastRelayProcess.FreeEndPoint(), flags);

    /// <summary>Starts a gateway on <paramref name="listen"/> (a restart on the same address); returns it once it serves.</summary>
    public async Task<(FastRelayProcess Process, IPEndPoint EndPoint)> StartGatewayOnAsync(IPEndPoint listen, params string[] flags)
    {
        var process = FastRelayProcess.StartIn(Directory, ["gateway", "--listen", listen.ToString(), "--tunnel-key", GatewayKeyFile, "--edge-key", EdgePublicKey,
            "--audit", "jsonl:" + Path.Combine(Directory, "gateway-audit.jsonl"), "--audit-spool", Path.Combine(Directory, "gateway-spool"), .. flags]);
        Assert.True(await TestTimeouts.EventuallyAsync(() =>
        {
            Assert.False(process.HasExited, $"the gateway exited early: {process.StandardError}");
            return process.StandardOutput.Contains("gateway running", StringComparison.Ordinal);
        }), $"the gateway never started: {process.StandardOutput}{process.StandardError}");
        return (process, listen);
    }

    /// <summary>Starts an edge with one listener for <c>svc</c> routed to <paramref name="route"/>, through <paramref name="gateway"/>.</summary>
    public async Task<(FastRelayProcess Process, IPEndPoint EndPoint)> StartEdgeAsync(string route, IPEndPoint gateway, params string[] flags)
    {
        var listen = FastRelayProcess.FreeEndPoint();
        var process = FastRelayProcess.StartIn(Directory, ["edge", "--listen", $"svc@{listen}", "--route", "svc=" + route, "--gateway", gateway.ToString(),
            "--tunnel-key", EdgeKeyFile, "--gateway-key", GatewayPublicKey,
            "--audit", "jsonl:" + Path.Combine(Directory, "edge-audit.jsonl"), "--audit-spool", Path.Combine(Directory, "edge-spool"), .. flags]);
        await process.WaitUntilListeningAsync(listen);
        return (process, listen);
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A process still writing its audit file: the temp directory is cleaned up by the OS later.
        }
    }

    private string WriteKey(string name)
    {
        using var key = X25519Dh.Instance.GenerateKeyPair();
        var path = Path.Combine(Directory, name);
        File.WriteAllText(path, Convert.ToBase64String(key.PrivateKey) + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite); // A private key readable by others is refused.
        }
        return key.PublicKeyBase64;
    }
}
