using System.Net;
using System.Net.Sockets;
using FastRelay.TestKit;
using FastRelay.Tunnel.Handshake;
using FastRelay.Tunnel.Noise;

namespace FastRelay.Tunnel.Session;

/// <summary>An edge and a gateway TunnelConnection over a real loopback socket, after a real XX handshake.</summary>
internal sealed class TunnelPair : IAsyncDisposable
{
    private TunnelPair(TunnelConnection edge, TunnelConnection gateway, ListLogger edgeLog, ListLogger gatewayLog)
    {
        Edge = edge;
        Gateway = gateway;
        EdgeLog = edgeLog;
        GatewayLog = gatewayLog;
    }

    public TunnelConnection Edge { get; }

    public TunnelConnection Gateway { get; }

    public ListLogger EdgeLog { get; }

    public ListLogger GatewayLog { get; }

    /// <summary>The edge's socket (owned by <see cref="Edge"/>; for reading socket options only).</summary>
    public System.Net.Sockets.Socket EdgeSocket { get; private init; } = null!;

    public static async Task<TunnelPair> StartAsync(ITunnelStreamAcceptor acceptor, TunnelConnectionOptions? edgeOptions = null, TunnelConnectionOptions? gatewayOptions = null,
        Func<string?>? edgeRecheck = null, Func<string?>? gatewayRecheck = null)
    {
        edgeOptions ??= new TunnelConnectionOptions();
        gatewayOptions ??= new TunnelConnectionOptions();
        var (edgeSocket, gatewaySocket) = await ConnectedSocketsAsync();
        var edgeKey = X25519Dh.Instance.GenerateKeyPair();
        var gatewayKey = X25519Dh.Instance.GenerateKeyPair();
        var initiate = TunnelHandshake.InitiateAsync(edgeSocket, edgeKey, TunnelAuthentication.Pinned([gatewayKey.PublicKey.ToArray()]),
            edgeOptions.ToSettings(), "edge", TunnelHandshake.DefaultTimeout, CancellationToken.None);
        var respond = TunnelHandshake.RespondAsync(gatewaySocket, gatewayKey, TunnelAuthentication.Pinned([edgeKey.PublicKey.ToArray()]),
            gatewayOptions.ToSettings(), "gateway", TunnelHandshake.DefaultTimeout, CancellationToken.None);
        var (edgeResult, gatewayResult) = (await initiate.WithTimeout(), await respond.WithTimeout());
        var (edgeLog, gatewayLog) = (new ListLogger(), new ListLogger());
        var edge = TunnelConnection.Start(edgeSocket, edgeResult, isInitiator: true, edgeOptions, null, edgeLog, TimeProvider.System, edgeRecheck);
        var gateway = TunnelConnection.Start(gatewaySocket, gatewayResult, isInitiator: false, gatewayOptions, acceptor, gatewayLog, TimeProvider.System, gatewayRecheck);
        return new TunnelPair(edge, gateway, edgeLog, gatewayLog) { EdgeSocket = edgeSocket };
    }

    public static async Task<(Socket Client, Socket Server)> ConnectedSocketsAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var accept = listener.AcceptAsync();
        var client = await SocketTestExtensions.ConnectAsync((IPEndPoint)listener.LocalEndPoint!);
        var server = await accept.WithTimeout();
        return (client, server);
    }

    public async ValueTask DisposeAsync()
    {
        await Edge.DisposeAsync().AsTask().WithTimeout();
        await Gateway.DisposeAsync().AsTask().WithTimeout();
    }
}
