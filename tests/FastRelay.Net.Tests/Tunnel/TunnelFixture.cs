using System.Net;
using FastRelay.Configuration;
using FastRelay.Gateway;
using FastRelay.Observing;
using FastRelay.TestKit;
using FastRelay.Tunnel.Handshake;
using FastRelay.Tunnel.Noise;
using FastRelay.Tunnel.Pool;
using FastRelay.Upstreams;

namespace FastRelay.Net.Tests.Tunnel;

/// <summary>
/// Keys, in-process gateways on 127.0.0.1 (port 0 unless given) and an edge pool that dials them: the real
/// handshake, the real sessions, real sockets. Disposing stops everything it started.
/// </summary>
internal sealed class TunnelFixture : IAsyncDisposable
{
    private readonly List<GatewayServer> _gateways = [];
    private readonly List<TunnelPool> _pools = [];

    public KeyPair EdgeKey { get; } = X25519Dh.Instance.GenerateKeyPair();

    public KeyPair GatewayKey { get; } = X25519Dh.Instance.GenerateKeyPair();

    /// <summary>Starts a gateway that dials any target (or only what <paramref name="policyJson"/>'s Outbound rules allow).</summary>
    public GatewayServer StartGateway(int port = 0, string? policyJson = null, int maxStreams = 256, TimeSpan? pingInterval = null,
        IConnectionObserver? observer = null, int maxHandshakes = 128, FastRelay.RateLimiting.TokenBucketOptions? handshakeRate = null,
        IUpstreamDialer? dialer = null, bool recheckEstablished = false, int maxHandshakesPerSource = GatewayOptions.DefaultMaxHandshakesPerSource,
        Func<GatewayOptions, GatewayOptions>? configure = null, Microsoft.Extensions.Logging.ILoggerFactory? loggers = null)
    {
        var options = new GatewayOptions
        {
            RecheckEstablished = recheckEstablished,
            Listen = new IPEndPoint(IPAddress.Loopback, port),
            Identity = new TunnelIdentityOptions { KeyFile = "" },
            AllowAnyTarget = policyJson is null,
            Session = new TunnelSessionOptions { MaxStreams = maxStreams, PingInterval = pingInterval ?? TunnelSessionOptions.DefaultPingInterval },
            MaxHandshakes = maxHandshakes,
            MaxHandshakesPerSource = maxHandshakesPerSource,
            HandshakeRate = handshakeRate ?? new FastRelay.RateLimiting.TokenBucketOptions(1000, 1000),
            DrainTimeout = TimeSpan.FromSeconds(2),
        };
        options = configure?.Invoke(options) ?? options;
        var policy = policyJson is null ? null : FastRelay.Filtering.PolicyLoader.Load(policyJson);
        var server = GatewayServer.Start(options, GatewayKey, TunnelAuthentication.Pinned([EdgeKey.PublicKey.ToArray()]), policy, loggers ?? TestLogging.Factory,
            TimeProvider.System, observer, dialer ?? new TcpUpstreamDialer());
        _gateways.Add(server);
        return server;
    }

    /// <summary>A pool over <paramref name="gateways"/> (started), with the pool flags as the edge would read them.</summary>
    public TunnelPool StartPool(IEnumerable<IPEndPoint> gateways, int prewarm = 2, int keepalive = 32, TimeSpan? keepaliveTimeout = null, int keepaliveRequests = 0,
        int maxStreams = 256, TimeSpan? pingInterval = null, TunnelPoolEvents? events = null)
    {
        var options = new EdgeTunnelOptions
        {
            Gateways = [.. gateways.Select(g => new GatewayAddress(g.Address.ToString(), g.Port))],
            Identity = new TunnelIdentityOptions { KeyFile = "" },
            Session = new TunnelSessionOptions { MaxStreams = maxStreams, PingInterval = pingInterval ?? TunnelSessionOptions.DefaultPingInterval },
            Keepalive = keepalive,
            KeepaliveTimeout = keepaliveTimeout ?? TimeSpan.FromSeconds(75),
            KeepaliveRequests = keepaliveRequests,
            Prewarm = prewarm,
            ConnectTimeout = TimeSpan.FromSeconds(3),
        };
        var pool = events is null
            ? EdgeTunnel.Create(options, EdgeKey, TunnelAuthentication.Pinned([GatewayKey.PublicKey.ToArray()]), "test-edge", TimeSpan.FromSeconds(2), TestLogging.Factory, TimeProvider.System, null)
            : new TunnelPool(options.Gateways, new TunnelLinkDialer(EdgeKey, TunnelAuthentication.Pinned([GatewayKey.PublicKey.ToArray()]),
                EdgeTunnel.ConnectionOptions(options.Session, TimeSpan.FromSeconds(2)), options.ConnectTimeout, "test-edge", TestLogging.Factory.CreateLogger("t"), TimeProvider.System),
                new PoolPolicyOptions(options.WarmConnections, keepalive, options.KeepaliveTimeout, keepaliveRequests, maxStreams), options.ConnectTimeout,
                TimeProvider.System, new Random(1), TestLogging.Factory.CreateLogger("pool"), events);
        pool.Start();
        _pools.Add(pool);
        return pool;
    }

    /// <summary>Opens a stream to <paramref name="target"/>, echoes <paramref name="payload"/> through it (FIN after it), and returns what came back.</summary>
    public static async Task<byte[]> EchoAsync(TunnelPool pool, IPEndPoint target, byte[] payload)
    {
        var opened = await pool.OpenStreamAsync(FastRelay.Tunnel.Frames.TunnelTarget.ForAddress(target.Address, target.Port), TimeSpan.FromSeconds(5), CancellationToken.None);
        Assert.True(opened.Stream is not null, $"no stream: {opened.Error} {opened.Detail}");
        using var lease = opened.Stream!;
        var reading = ReadAllAsync(lease.Input);
        await lease.Output.WriteAsync(payload);
        await lease.Output.CompleteAsync();
        var back = await reading;
        await lease.Input.CompleteAsync();
        return back;
    }

    private static async Task<byte[]> ReadAllAsync(System.IO.Pipelines.PipeReader reader)
    {
        using var received = new MemoryStream();
        while (true)
        {
            var read = await reader.ReadAsync();
            foreach (var segment in read.Buffer)
            {
                received.Write(segment.Span);
            }

            reader.AdvanceTo(read.Buffer.End);
            if (read.IsCompleted)
            {
                return received.ToArray();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var pool in _pools)
        {
            await pool.DisposeAsync();
        }

        foreach (var gateway in _gateways)
        {
            await gateway.DisposeAsync();
        }

        EdgeKey.Dispose();
        GatewayKey.Dispose();
    }
}
