using System.Buffers.Binary;
using System.Net.Sockets;
using FastRelay.TestKit;
using FastRelay.Tunnel.Noise;

namespace FastRelay.Tunnel.Handshake;

/// <summary>
/// Runs a real edge and a real exit handshake, directly or through a proxy that can change or cut one handshake
/// message (1 = preamble+msg1 from the edge, counted as "msg1"; 0 = the preamble alone; 2 = msg2; 3 = msg3).
/// Each side disposes its socket when it fails, as a caller must.
/// </summary>
internal sealed class HandshakeRun : IDisposable
{
    public HandshakeRun()
    {
        EdgeKey = X25519Dh.Instance.GenerateKeyPair();
        ExitKey = X25519Dh.Instance.GenerateKeyPair();
        EdgeAuth = TunnelAuthentication.Pinned([ExitKey.PublicKey.ToArray()]);
        ExitAuth = TunnelAuthentication.Pinned([EdgeKey.PublicKey.ToArray()]);
    }

    public KeyPair EdgeKey { get; }

    public KeyPair ExitKey { get; }

    public TunnelAuthentication EdgeAuth { get; set; }

    public TunnelAuthentication ExitAuth { get; set; }

    public TunnelSettings EdgeSettings { get; set; } = new();

    public TunnelSettings ExitSettings { get; set; } = new();

    public TimeSpan Timeout { get; set; } = TunnelHandshake.DefaultTimeout;

    /// <summary>Which message the proxy changes (-1: none).</summary>
    public int Message { get; set; } = -1;

    /// <summary>How the proxy changes the framed message (with its u16 length; message 0 is the 8-byte preamble).</summary>
    public Func<byte[], byte[]> Change { get; set; } = bytes => bytes;

    /// <summary>Whether the proxy closes both connections after forwarding the changed message.</summary>
    public bool CloseAfter { get; set; }

    public async Task<(Outcome Edge, Outcome Exit)> RunAsync()
    {
        var (edgeSocket, proxyEdge) = await LoopbackPair.CreateAsync();
        var (proxyExit, exitSocket) = await LoopbackPair.CreateAsync();
        var proxy = ProxyAsync(proxyEdge, proxyExit);
        var exit = SideAsync(exitSocket, s => TunnelHandshake.RespondAsync(s, ExitKey, ExitAuth, ExitSettings, "exit-1", Timeout, default));
        var edge = SideAsync(edgeSocket, s => TunnelHandshake.InitiateAsync(s, EdgeKey, EdgeAuth, EdgeSettings, "edge-1", Timeout, default));
        var outcomes = await Task.WhenAll(edge, exit).WithTimeout();
        // The proxy ends when either side's socket closes (the test disposes them); it never throws.
        _ = proxy;
        return (outcomes[0], outcomes[1]);
    }

    public void Dispose()
    {
        EdgeKey.Dispose();
        ExitKey.Dispose();
    }

    private static async Task<Outcome> SideAsync(Socket socket, Func<Socket, Task<TunnelHandshakeResult>> run)
    {
        try
        {
            var result = await run(socket);
            return new Outcome(result, null, socket);
        }
        catch (TunnelHandshakeException e)
        {
            socket.Dispose();
            return new Outcome(null, e, socket);
        }
    }

    private async Task ProxyAsync(Socket edge, Socket exit)
    {
        try
        {
            if (!await ForwardAsync(0, edge, exit, TunnelPreamble.Size) || !await ForwardFramedAsync(1, edge, exit)
                || !await ForwardFramedAsync(2, exit, edge) || !await ForwardFramedAsync(3, edge, exit))
            {
                return;
            }

            // After the handshake: pass on what the exit sends (a GOAWAY on rejection) until it closes.
            var buffer = new byte[4096];
            int read;
            while ((read = await exit.ReceiveAsync(buffer, SocketFlags.None)) > 0)
            {
                await edge.SendAsync(buffer.AsMemory(0, read), SocketFlags.None);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // A side failed and closed: the proxy's job is over.
        }
        finally
        {
            edge.Dispose();
            exit.Dispose();
        }
    }

    private async Task<bool> ForwardFramedAsync(int index, Socket from, Socket to)
    {
        var header = await ReceiveAsync(from, 2);
        if (header is null)
        {
            return false;
        }

        var body = await ReceiveAsync(from, BinaryPrimitives.ReadUInt16BigEndian(header));
        return body is not null && await SendAsync(index, [.. header, .. body], to);
    }

    private async Task<bool> ForwardAsync(int index, Socket from, Socket to, int count)
    {
        var bytes = await ReceiveAsync(from, count);
        return bytes is not null && await SendAsync(index, bytes, to);
    }

    private async Task<bool> SendAsync(int index, byte[] bytes, Socket to)
    {
        if (index == Message)
        {
            bytes = Change(bytes);
        }

        await to.SendAsync(bytes, SocketFlags.None);
        return !(index == Message && CloseAfter);
    }

    private static async Task<byte[]?> ReceiveAsync(Socket socket, int count)
    {
        var buffer = new byte[count];
        var got = 0;
        while (got < count)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(got), SocketFlags.None);
            if (read == 0)
            {
                return null;
            }

            got += read;
        }

        return buffer;
    }

    internal sealed record Outcome(TunnelHandshakeResult? Result, TunnelHandshakeException? Error, Socket Socket)
    {
        public string Reason => Error?.Message ?? "(accepted)";
    }
}
