using System.Buffers.Binary;
using System.Net.Sockets;
using FastRelay.TestKit;
using FastRelay.Tunnel.Noise;

namespace FastRelay.Tunnel.Handshake;

/// <summary>The XX handshake over loopback sockets in pinned mode, and every hostile-input row of the handshake.</summary>
public sealed class TunnelHandshakeTests
{
    [Fact]
    public async Task Handshake_PinnedKeys_BothSidesAgreeOnKeysSettingsAndNames()
    {
        using var run = new HandshakeRun
        {
            EdgeSettings = new TunnelSettings(MaxStreams: 10, PingIntervalMs: 100),
            ExitSettings = new TunnelSettings(InitialWindow: 1 << 20, RekeyIntervalSeconds: 60),
        };
        var (edge, exit) = await run.RunAsync();

        Assert.Null(edge.Error);
        Assert.Null(exit.Error);
        using var edgeKeys = edge.Result!.Keys;
        using var exitKeys = exit.Result!.Keys;
        Assert.Equal(edgeKeys.HandshakeHash, exitKeys.HandshakeHash);
        Assert.Equal(run.ExitKey.PublicKey.ToArray(), edge.Result.RemoteStatic);
        Assert.Equal(run.EdgeKey.PublicKey.ToArray(), exit.Result.RemoteStatic);
        Assert.Equal(run.ExitSettings, edge.Result.PeerSettings);
        Assert.Equal(run.EdgeSettings, exit.Result.PeerSettings);
        Assert.Equal("exit-1", edge.Result.PeerName);
        Assert.Equal("edge-1", exit.Result.PeerName);
        Assert.Equal(run.EdgeKey.PublicKeyBase64, exit.Result.PeerFingerprint);
        AssertPaired(edgeKeys.Send, exitKeys.Receive);
        AssertPaired(exitKeys.Send, edgeKeys.Receive);
        edge.Socket.Dispose();
        exit.Socket.Dispose();
    }

    [Fact]
    public async Task Handshake_EdgeKeyNotPinnedByExit_ExitSendsGoAwayAuthFailed()
    {
        using var run = new HandshakeRun();
        using var stranger = X25519Dh.Instance.GenerateKeyPair();
        run.ExitAuth = TunnelAuthentication.Pinned([stranger.PublicKey.ToArray()]);
        var (edge, exit) = await run.RunAsync();

        Assert.Equal("edge identity rejected: static key not in the allowlist", exit.Reason);
        Assert.Equal(run.EdgeKey.PublicKeyBase64, exit.Error!.PeerFingerprint);
        Assert.NotNull(edge.Result);

        // The edge's first record from the exit: GOAWAY(last_stream_id 0, AUTH_FAILED = 9), then EOF. Frame header as the
        // mux reads it: type 6, flags 0, body length 8, stream 0.
        var header = await edge.Socket.ReceiveExactlyAsync(2);
        var record = await edge.Socket.ReceiveExactlyAsync(BinaryPrimitives.ReadUInt16BigEndian(header));
        Assert.True(edge.Result!.Keys.Receive.TryDecrypt(header, record));
        Assert.Equal(new byte[] { 6, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9 }, record[..^CipherState.TagSize]);
        Assert.True(await edge.Socket.IsClosedByPeerAsync(TestTimeouts.Default));
        edge.Socket.Dispose();
    }

    [Fact]
    public async Task Handshake_ExitKeyNotPinnedByEdge_EdgeClosesBeforeMsg3()
    {
        using var run = new HandshakeRun();
        using var stranger = X25519Dh.Instance.GenerateKeyPair();
        run.EdgeAuth = TunnelAuthentication.Pinned([stranger.PublicKey.ToArray()]);
        var (edge, exit) = await run.RunAsync();

        Assert.Equal("exit identity rejected: static key not in the allowlist", edge.Reason);
        Assert.Equal(run.ExitKey.PublicKeyBase64, edge.Error!.PeerFingerprint);
        Assert.Equal("connection closed before msg3", exit.Reason);
    }

    [Theory]
    [InlineData(1, "msg2 authentication failed")]
    [InlineData(2, "msg2 authentication failed")]
    [InlineData(3, "msg3 authentication failed")]
    public async Task Handshake_AnyByteOfAMessageFlipped_Fails(int message, string expected)
    {
        var length = await FramedLengthAsync(message);
        for (var offset = 2; offset < length; offset++)
        {
            using var run = new HandshakeRun { Message = message, Change = Flip(offset) };
            var (edge, exit) = await run.RunAsync();
            var failed = message == 3 ? exit : edge;
            Assert.True(failed.Reason.StartsWith(expected, StringComparison.Ordinal), $"offset {offset}: {failed.Reason}");
            Dispose(edge, exit);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Handshake_TruncatedAtEveryOffset_FailsNamingTheMessage(int message)
    {
        var length = message == 0 ? TunnelPreamble.Size : await FramedLengthAsync(message);
        var name = message == 0 ? "preamble" : $"msg{message}";
        for (var cut = 0; cut < length; cut++)
        {
            var keep = cut;
            using var run = new HandshakeRun { Message = message, Change = bytes => bytes[..keep], CloseAfter = true };
            var (edge, exit) = await run.RunAsync();
            var failed = message == 2 ? edge : exit;
            var expected = message == 0
                ? (cut == 0 ? "connection closed before the preamble" : $"truncated preamble ({cut} of 8 bytes)")
                : cut == 0 ? $"connection closed before {name}"
                : cut == 1 ? $"truncated {name} length"
                : $"truncated {name} ({cut - 2} of {length - 2} bytes)";
            Assert.Equal(expected, failed.Reason);
            Dispose(edge, exit);
        }
    }

    [Fact]
    public async Task Respond_WrongPreamble_ClosesSilently()
    {
        var (client, server) = await LoopbackPair.CreateAsync();
        using var exitKey = X25519Dh.Instance.GenerateKeyPair();
        // Exactly 8 bytes, so nothing is left unread and the close is a FIN, not a reset: nothing is sent back.
        await client.SendAsync("GET / HT"u8.ToArray(), SocketFlags.None);
        var error = await Assert.ThrowsAsync<TunnelHandshakeException>(() => Respond(server, exitKey));
        Assert.Equal("bad preamble", error.Message);
        server.Dispose();
        Assert.Empty(await client.ReceiveToEndAsync());
        client.Dispose();
    }

    [Fact]
    public async Task Respond_OtherVersion_AnswersWithItsPreambleAndFails()
    {
        var (client, server) = await LoopbackPair.CreateAsync();
        using var exitKey = X25519Dh.Instance.GenerateKeyPair();
        var preamble = new byte[8];
        TunnelPreamble.Write(preamble, 2);
        await client.SendAsync(preamble, SocketFlags.None);
        var error = await Assert.ThrowsAsync<TunnelHandshakeException>(() => Respond(server, exitKey));
        Assert.Equal("version mismatch: the edge speaks version 2, this exit speaks 1", error.Message);
        server.Dispose();
        Assert.Equal(new byte[] { 0x52, 0x54, 0x55, 0x4E, 0, 1, 0, 0 }, await client.ReceiveToEndAsync());
        client.Dispose();
    }

    [Fact]
    public async Task Initiate_ExitAnswersWithOtherVersion_ReportsVersionMismatch()
    {
        var (client, server) = await LoopbackPair.CreateAsync();
        using var edgeKey = X25519Dh.Instance.GenerateKeyPair();
        var initiate = Initiate(client, edgeKey);
        await server.ReceiveExactlyAsync(8 + 2 + 32);
        var preamble = new byte[8];
        TunnelPreamble.Write(preamble, 7);
        await server.SendAsync(preamble, SocketFlags.None);
        var error = await Assert.ThrowsAsync<TunnelHandshakeException>(() => initiate);
        Assert.Equal("version mismatch: the exit speaks version 7, this edge speaks 1", error.Message);
        client.Dispose();
        server.Dispose();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(65535)]
    public async Task Respond_Msg1NotExactly32Bytes_Fails(int length)
    {
        var (client, server) = await LoopbackPair.CreateAsync();
        using var exitKey = X25519Dh.Instance.GenerateKeyPair();
        var bytes = new byte[10];
        TunnelPreamble.Write(bytes);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(8), (ushort)length);
        await client.SendAsync(bytes, SocketFlags.None);
        var error = await Assert.ThrowsAsync<TunnelHandshakeException>(() => Respond(server, exitKey));
        Assert.Equal($"msg1 length {length}, expected 32", error.Message);
        client.Dispose();
        server.Dispose();
    }

    [Theory]
    [InlineData(2, 95, "msg2 length 95 outside [96, 16384]")]
    [InlineData(2, 16385, "msg2 length 16385 outside [96, 16384]")]
    [InlineData(3, 63, "msg3 length 63 outside [64, 16384]")]
    [InlineData(3, 16385, "msg3 length 16385 outside [64, 16384]")]
    public async Task Handshake_LengthOutsideTheLimits_FailsBeforeReadingTheBody(int message, int length, string expected)
    {
        using var run = new HandshakeRun
        {
            Message = message,
            Change = bytes =>
            {
                BinaryPrimitives.WriteUInt16BigEndian(bytes, (ushort)length);
                return bytes;
            },
        };
        var (edge, exit) = await run.RunAsync();
        Assert.Equal(expected, (message == 2 ? edge : exit).Reason);
        Dispose(edge, exit);
    }

    [Fact]
    public async Task Respond_SilentPeer_TimesOut()
    {
        var (client, server) = await LoopbackPair.CreateAsync();
        using var exitKey = X25519Dh.Instance.GenerateKeyPair();
        var error = await Assert.ThrowsAsync<TunnelHandshakeException>(() => Respond(server, exitKey, TimeSpan.FromMilliseconds(200)));
        Assert.Equal("handshake timed out after 0.2 s while waiting for the preamble", error.Message);
        client.Dispose();
        server.Dispose();
    }

    [Fact]
    public async Task Initiate_SilentExit_TimesOutWaitingForMsg2()
    {
        var (client, server) = await LoopbackPair.CreateAsync();
        using var edgeKey = X25519Dh.Instance.GenerateKeyPair();
        var error = await Assert.ThrowsAsync<TunnelHandshakeException>(() => Initiate(client, edgeKey, TimeSpan.FromMilliseconds(200)));
        Assert.Equal("handshake timed out after 0.2 s while waiting for msg2", error.Message);
        client.Dispose();
        server.Dispose();
    }

    [Fact]
    public async Task Initiate_CallerCancels_ThrowsOperationCanceled()
    {
        var (client, server) = await LoopbackPair.CreateAsync();
        using var edgeKey = X25519Dh.Instance.GenerateKeyPair();
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => TunnelHandshake.InitiateAsync(client, edgeKey,
            TunnelAuthentication.Pinned([new byte[32]]), new TunnelSettings(), null, TimeSpan.FromSeconds(30), cancel.Token));
        client.Dispose();
        server.Dispose();
    }

    [Fact]
    public async Task Handshake_InvalidLocalSettings_ThrowsArgumentException()
    {
        var (client, server) = await LoopbackPair.CreateAsync();
        using var edgeKey = X25519Dh.Instance.GenerateKeyPair();
        var error = await Assert.ThrowsAsync<ArgumentException>(() => TunnelHandshake.InitiateAsync(client, edgeKey,
            TunnelAuthentication.Pinned([new byte[32]]), new TunnelSettings(MaxRecord: 100), null, TimeSpan.FromSeconds(1), default));
        Assert.Contains("max_record must be in 2048..65535 (got 100)", error.Message, StringComparison.Ordinal);
        client.Dispose();
        server.Dispose();
    }

    private static Func<byte[], byte[]> Flip(int offset) => bytes =>
    {
        bytes[offset] ^= 0x01;
        return bytes;
    };

    private static async Task<int> FramedLengthAsync(int message)
    {
        var length = 0;
        using var run = new HandshakeRun
        {
            Message = message,
            Change = bytes =>
            {
                length = bytes.Length;
                return bytes;
            },
        };
        var (edge, exit) = await run.RunAsync();
        Dispose(edge, exit);
        return length;
    }

    private static void Dispose(HandshakeRun.Outcome edge, HandshakeRun.Outcome exit)
    {
        edge.Result?.Keys.Dispose();
        exit.Result?.Keys.Dispose();
        edge.Socket.Dispose();
        exit.Socket.Dispose();
    }

    private static Task<TunnelHandshakeResult> Respond(Socket socket, KeyPair key, TimeSpan? timeout = null)
        => TunnelHandshake.RespondAsync(socket, key, TunnelAuthentication.Pinned([new byte[32]]), new TunnelSettings(), null,
            timeout ?? TunnelHandshake.DefaultTimeout, default);

    private static Task<TunnelHandshakeResult> Initiate(Socket socket, KeyPair key, TimeSpan? timeout = null)
        => TunnelHandshake.InitiateAsync(socket, key, TunnelAuthentication.Pinned([new byte[32]]), new TunnelSettings(), null,
            timeout ?? TunnelHandshake.DefaultTimeout, default);

    private static void AssertPaired(CipherState send, CipherState receive)
    {
        var buffer = new byte[3 + CipherState.TagSize];
        send.Encrypt([0, 19], buffer, 3);
        Assert.True(receive.TryDecrypt([0, 19], buffer));
    }
}
