using System.Diagnostics;
using System.Net;
using FastRelay.Configuration;
using FastRelay.Diagnostics;
using FastRelay.Gateway;
using FastRelay.Relaying;
using FastRelay.Tunnel.Handshake;
using FastRelay.Tunnel.Noise;
using FastRelay.Tunnel.Pool;
using Microsoft.Extensions.Logging;

namespace FastRelay.Hosting;

/// <summary>
/// The tunnel half of <c>fastrelay demo</c>: an in-process gateway with throwaway X25519 keys whose Outbound rules
/// allow only the demo's two backends, and three edge routes through it (echo, sink, and one target the gateway
/// must refuse). The path: client -> mTLS edge -> tunnel (Noise XX, ChaCha20-Poly1305) -> gateway -> backend.
/// </summary>
internal sealed class DemoTunnel : IAsyncDisposable
{
    private readonly KeyPair _edgeKey = X25519Dh.Instance.GenerateKeyPair();
    private readonly KeyPair _gatewayKey = X25519Dh.Instance.GenerateKeyPair();
    private readonly IPEndPoint _echo;
    private readonly IPEndPoint _sink;
    private GatewayServer? _gateway;

    private DemoTunnel(IPEndPoint echo, IPEndPoint sink)
    {
        _echo = echo;
        _sink = sink;
    }

    /// <summary>A target no Outbound rule allows: the gateway refuses it without dialling (FORBIDDEN_TARGET).</summary>
    private static readonly IPEndPoint Forbidden = new(IPAddress.Loopback, 22);

    private GatewayServer Gateway => _gateway!;

    public static DemoTunnel Start(IPEndPoint echo, IPEndPoint sink, ILoggerFactory loggerFactory)
    {
        var demo = new DemoTunnel(echo, sink);
        var policy = FastRelay.Filtering.PolicyLoader.Load($$"""
            {"SecurityGroups": [{"Name": "Demo-Exit", "Rules": [
              {"Protocol": "TCP", "PortRange": "{{echo.Port}},{{sink.Port}}", "DestinationIP": "127.0.0.1/32", "Action": "Allow"}]}]}
            """);
        var options = new GatewayOptions
        {
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            Identity = new TunnelIdentityOptions { KeyFile = "(in memory)" },
            PolicyFile = "(demo)",
        };
        demo._gateway = GatewayServer.Start(options, demo._gatewayKey, TunnelAuthentication.Pinned([demo._edgeKey.PublicKey.ToArray()]), policy,
            loggerFactory, TimeProvider.System);
        return demo;
    }

    /// <summary>The edge's flags for the tunnel routes (the pool is built from memory keys, so the key file is never read).</summary>
    public IEnumerable<RawSetting> EdgeSettings =>
    [
        new("listen", "techo@127.0.0.1:0", "demo"), new("listen", "tsink@127.0.0.1:0", "demo"), new("listen", "tdenied@127.0.0.1:0", "demo"),
        new("route", $"techo=tunnel:{_echo}", "demo"), new("route", $"tsink=tunnel:{_sink}", "demo"), new("route", $"tdenied=tunnel:{Forbidden}", "demo"),
        new("gateway", Gateway.EndPoint.ToString(), "demo"), new("tunnel-key", "(in memory)", "demo"),
        new("gateway-key", _gatewayKey.PublicKeyBase64, "demo"),
    ];

    /// <summary>Builds and starts the edge's pool and waits (bounded) until its warm connections are up.</summary>
    public async Task<TunnelPool> StartPoolAsync(EdgeTunnelOptions options, ILoggerFactory loggerFactory, RelayMetrics metrics)
    {
        var pool = EdgeTunnel.Create(options, _edgeKey, TunnelAuthentication.Pinned([_gatewayKey.PublicKey.ToArray()]), "demo-edge", TimeSpan.FromSeconds(5),
            loggerFactory, TimeProvider.System, metrics);
        pool.Start();
        for (var waited = 0; waited < 250 && pool.Gateways[0].UsableConnections < options.WarmConnections; waited++)
        {
            await Task.Delay(20, CancellationToken.None); // Two handshakes: a few ms; bounded at 5 s.
        }

        return pool;
    }

    /// <summary>Echo sessions, a bulk transfer and a forbidden target through the tunnel, each verified and reported.</summary>
    public async Task<bool> RunAsync(TunnelPool pool, EdgeServer edge, Func<IPEndPoint, CancellationToken, Task<long>> echoSession,
        Func<IPEndPoint, long, Task<long>> bulk, Func<IPEndPoint, Task<bool>> closedWithoutAnswer, DemoSettings settings)
    {
        IPEndPoint Listener(string service) => edge.Listeners.First(l => l.Service == service).EndPoint;
        var warm = pool.Handshakes;
        Console.WriteLine($"tunnel: gateway {Gateway.EndPoint} (throwaway X25519 keys, Outbound rules allow only the two backends); edge pool {pool.Gateways[0].Connections} warm connections, {warm} handshakes");

        using var stop = new CancellationTokenSource(settings.Duration);
        var started = Stopwatch.GetTimestamp();
        var sessions = Enumerable.Range(0, settings.Sessions).Select(_ => echoSession(Listener("techo"), stop.Token)).ToArray();
        long exchanges = 0;
        foreach (var session in sessions)
        {
            exchanges += await session;
        }

        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var handshakes = pool.Handshakes - warm;
        Console.WriteLine($"tunnel echo: {settings.Sessions} mTLS sessions through edge -> tunnel -> gateway, {exchanges} verified exchanges in {seconds:0.0} s ({exchanges / seconds:N0}/s); tunnel handshakes for them: {handshakes}");

        started = Stopwatch.GetTimestamp();
        var counted = await bulk(Listener("tsink"), settings.BulkBytes);
        seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        Console.WriteLine($"tunnel bulk: {settings.BulkBytes:N0} B sent, sink counted {counted:N0} B, {settings.BulkBytes / seconds / 1e6:N0} MB/s");

        var refusedBefore = Gateway.Stats.StreamsRejected;
        var denied = await closedWithoutAnswer(Listener("tdenied"));
        for (var waited = 0; waited < 100 && Gateway.Stats.StreamsRejected == refusedBefore; waited++)
        {
            await Task.Delay(20, CancellationToken.None);
        }

        var forbidden = Gateway.Stats.StreamsRejected > refusedBefore;
        Console.WriteLine($"tunnel: target {Forbidden} outside the gateway's Outbound rules: {(denied && forbidden ? "refused (FORBIDDEN_TARGET), client closed" : "NOT refused")}");
        return exchanges > 0 && counted == settings.BulkBytes && handshakes == 0 && denied && forbidden;
    }

    public async ValueTask DisposeAsync()
    {
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }

        _edgeKey.Dispose();
        _gatewayKey.Dispose();
    }
}
