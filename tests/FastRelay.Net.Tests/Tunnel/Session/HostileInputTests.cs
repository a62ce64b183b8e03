using System.Buffers.Binary;
using System.Net.Sockets;
using FastRelay.TestKit;
using FastRelay.Tunnel.Frames;
using FastRelay.Tunnel.Handshake;

namespace FastRelay.Tunnel.Session;

/// <summary>
/// The hostile-input rows of PROTOCOL.md §4.10 against a real gateway connection: records cut, flipped,
/// replayed, reordered, dropped and oversized; frames that break the rules; floods. Each closes the connection
/// with its logged reason, and never delivers the bad input.
/// </summary>
public sealed class HostileInputTests
{
    [Fact]
    public async Task Record_TruncatedAtEveryOffset_ClosesAsTruncated()
    {
        var probe = await RawPeer.StartAsync(realIsGateway: true);
        var length = probe.Seal(RawPeer.Ping(1)).Length;
        await probe.DisposeAsync();

        for (var offset = 0; offset < length; offset++)
        {
            await using var peer = await RawPeer.StartAsync(realIsGateway: true);
            var record = peer.Seal(RawPeer.Ping(1));
            await peer.SendAsync(record[..offset]);
            peer.Socket.Shutdown(SocketShutdown.Send);

            var reason = await peer.Connection.Completion.WithTimeout();
            Assert.Contains(offset == 0 ? "without GOAWAY" : "truncated record", reason, StringComparison.Ordinal);
            Assert.True(peer.Log.Has(654, offset == 0 ? "EOF without GOAWAY" : "EOF inside a record"), $"offset {offset}: {peer.Log}");
        }
    }

    [Fact]
    public async Task Record_AnyBitFlipped_NeverAccepted()
    {
        var probe = await RawPeer.StartAsync(realIsGateway: true);
        var length = probe.Seal(RawPeer.Ping(1)).Length;
        await probe.DisposeAsync();

        for (var index = 0; index < length; index++)
        {
            await using var peer = await RawPeer.StartAsync(realIsGateway: true);
            var record = peer.Seal(RawPeer.Ping(1));
            record[index] ^= (byte)(1 << (index % 8));
            await peer.SendAsync(record);
            peer.Socket.Shutdown(SocketShutdown.Send);

            var reason = await peer.Connection.Completion.WithTimeout();
            Assert.True(reason.Contains("authentication failed", StringComparison.Ordinal) || reason.Contains("truncated", StringComparison.Ordinal)
                || reason.Contains("FrameSize", StringComparison.Ordinal), $"byte {index}: {reason}");
        }
    }

    [Theory]
    [InlineData("replayed", new[] { 0, 0 }, 1)]
    [InlineData("reordered", new[] { 1, 0 }, 0)]
    [InlineData("dropped", new[] { 1, 2 }, 0)]
    public async Task Records_ReplayedReorderedOrDropped_FailAuthentication(string label, int[] order, int failingRecord)
    {
        await using var peer = await RawPeer.StartAsync(realIsGateway: true);
        var records = Enumerable.Range(0, 3).Select(i => peer.Seal(RawPeer.Ping((ulong)i))).ToArray();
        await peer.SendAsync([.. order.Select(i => records[i])]);

        var reason = await peer.Connection.Completion.WithTimeout();
        Assert.Equal($"record #{failingRecord} authentication failed", reason);
        Assert.True(peer.Log.Has(653, $"record #{failingRecord} authentication failed"), label);
    }

    [Theory]
    [InlineData(65535, "record length 65535 (expected 24-16384)")]
    [InlineData(10, "record length 10 (expected 24-16384)")]
    [InlineData(23, "record length 23 (expected 24-16384)")]
    public async Task Record_LengthOutOfRange_FrameSizeBeforeAnyBodyIsRead(int length, string expected)
    {
        await using var peer = await RawPeer.StartAsync(realIsGateway: true, new TunnelConnectionOptions { MaxRecordBytes = 16384 });
        var prefix = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(prefix, (ushort)length);
        await peer.SendAsync(prefix);

        var goAway = await peer.ReadUntilAsync(FrameType.GoAway);
        Assert.NotNull(goAway);
        Assert.Equal((uint)TunnelErrorCode.FrameSize, BinaryPrimitives.ReadUInt32BigEndian(goAway.Value.Body.AsSpan(4)));
        Assert.Contains(expected, await peer.Connection.Completion.WithTimeout(), StringComparison.Ordinal);
        Assert.True(peer.Log.Has(652, expected));
    }

    public static TheoryData<string, byte[], TunnelErrorCode, string> BadFrames => new()
    {
        { "unknown type", RawPeer.Raw((FrameType)0x10, 0, 0, []), TunnelErrorCode.ProtocolError, "unknown frame type 0x10" },
        { "PING on a stream", RawPeer.Raw(FrameType.Ping, 0, 3, new byte[8]), TunnelErrorCode.ProtocolError, "on stream 3 (expected stream 0)" },
        { "PING of 7 bytes", RawPeer.Raw(FrameType.Ping, 0, 0, new byte[7]), TunnelErrorCode.ProtocolError, "body of 7 bytes (expected 8)" },
        { "DATA on an unopened stream", RawPeer.Raw(FrameType.Data, 0, 5, [1]), TunnelErrorCode.ProtocolError, "stream 5, which was never opened" },
        { "OPEN with an even id", RawPeer.Open(2), TunnelErrorCode.ProtocolError, "OPEN with stream id 2" },
        { "REKEY with two flags", RawPeer.Raw(FrameType.Rekey, 3, 0, new byte[4]), TunnelErrorCode.ProtocolError, "exactly one of INIT, RESP, DONE" },
        { "WINDOW_UPDATE of 0", RawPeer.Raw(FrameType.WindowUpdate, 0, 1, new byte[4]), TunnelErrorCode.FlowControl, "increment 0" },
        { "RESP to the gateway", RawPeer.Raw(FrameType.Rekey, FrameFlags.RekeyResp, 0, new byte[52]), TunnelErrorCode.RekeyError, "sent to the gateway" },
        { "INIT for a wrong epoch", RawPeer.Raw(FrameType.Rekey, FrameFlags.RekeyInit, 0, [0, 0, 0, 5, .. new byte[48]]), TunnelErrorCode.RekeyError, "REKEY INIT for epoch 5 (expected 1)" },
        { "INIT failing KK", RawPeer.Raw(FrameType.Rekey, FrameFlags.RekeyInit, 0, [0, 0, 0, 1, .. new byte[48]]), TunnelErrorCode.RekeyError, "failed KK authentication" },
        { "DONE without INIT", RawPeer.Raw(FrameType.Rekey, FrameFlags.RekeyDone, 0, [0, 0, 0, 1]), TunnelErrorCode.RekeyError, "DONE for epoch 1 without a matching INIT" },
        { "empty DATA without FIN", RawPeer.Raw(FrameType.Data, 0, 1, []), TunnelErrorCode.ProtocolError, "empty DATA without FIN" },
        { "OPEN_OK to the gateway", RawPeer.Raw(FrameType.OpenOk, 0, 1, []), TunnelErrorCode.ProtocolError, "sent to the gateway" },
    };

    [Theory]
    [MemberData(nameof(BadFrames))]
    public async Task Frame_BreakingItsRow_GoAwayWithCodeAndLoggedReason(string label, byte[] frame, TunnelErrorCode code, string reason)
    {
        await using var peer = await RawPeer.StartAsync(realIsGateway: true);
        await peer.SendAsync(peer.Seal(frame));

        var goAway = await peer.ReadUntilAsync(FrameType.GoAway);
        Assert.NotNull(goAway);
        Assert.Equal((uint)code, BinaryPrimitives.ReadUInt32BigEndian(goAway.Value.Body.AsSpan(4)));
        Assert.Contains(reason, await peer.Connection.Completion.WithTimeout(), StringComparison.Ordinal);
        Assert.True(peer.Log.Has(652, reason), label + ": " + peer.Log);
    }

    [Fact]
    public async Task Data_BeyondCredit_FlowControlError()
    {
        var acceptor = new ManualAcceptor();
        await using var peer = await RawPeer.StartAsync(realIsGateway: true, acceptor: acceptor, rawSettings: new TunnelSettings(InitialWindow: 65536));
        await peer.SendAsync(peer.Seal(RawPeer.Open(1)));
        var (request, _) = await acceptor.NextAsync().AsTask().WithTimeout();
        Assert.NotNull(request.Accept());
        await peer.ReadUntilAsync(FrameType.OpenOk);

        // The gateway granted 256 KiB (its own initial window); send 256 KiB + 1.
        var chunk = new byte[16384];
        for (var i = 0; i < 16; i++)
        {
            await peer.SendAsync(peer.Seal(RawPeer.Frame(b => { FrameWriter.WriteDataHeader(b, 1, chunk.Length, false); return FrameHeader.Size; }).Concat(chunk).ToArray()));
        }

        await peer.SendAsync(peer.Seal(RawPeer.Raw(FrameType.Data, 0, 1, [42])));
        Assert.Contains("exceeds its credit", await peer.Connection.Completion.WithTimeout(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WindowUpdate_OverflowingCredit_FlowControlError()
    {
        var acceptor = new ManualAcceptor();
        await using var peer = await RawPeer.StartAsync(realIsGateway: true, acceptor: acceptor);
        await peer.SendAsync(peer.Seal(RawPeer.Open(1)));
        var (request, _) = await acceptor.NextAsync().AsTask().WithTimeout();
        Assert.NotNull(request.Accept());
        var increment = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(increment, int.MaxValue);
        await peer.SendAsync(peer.Seal(RawPeer.Raw(FrameType.WindowUpdate, 0, 1, increment)));

        Assert.Contains("past 2^31-1", await peer.Connection.Completion.WithTimeout(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pings_MoreThanFourTimesTheRate_EnhanceYourCalm()
    {
        await using var peer = await RawPeer.StartAsync(realIsGateway: true);
        await peer.SendAsync(peer.Seal([.. Enumerable.Range(0, 10).Select(i => RawPeer.Ping((ulong)i))]));

        var goAway = await peer.ReadUntilAsync(FrameType.GoAway);
        Assert.Equal((uint)TunnelErrorCode.EnhanceYourCalm, BinaryPrimitives.ReadUInt32BigEndian(goAway!.Value.Body.AsSpan(4)));
        Assert.True(peer.Log.Has(659, "Pings"));
    }

    [Fact]
    public async Task ExtensionFrames_Flood_EnhanceYourCalm()
    {
        await using var peer = await RawPeer.StartAsync(realIsGateway: true);
        var frame = RawPeer.Raw((FrameType)0x80, 0, 0, []);
        for (var i = 0; i < 12; i++)
        {
            await peer.SendAsync(peer.Seal([.. Enumerable.Repeat(frame, 1000)]));
        }

        Assert.Contains("ENHANCE_YOUR_CALM", await peer.Connection.Completion.WithTimeout(), StringComparison.Ordinal);
        Assert.True(peer.Log.Has(659, "UselessFrames"));
    }

    /// <summary>
    /// The peer stops reading (its receive buffer and our send buffer fill with echoed DATA, so our write loop
    /// blocks) and keeps provoking answers (RST for OPENs the full budget refuses): past 1024 queued answers, ENHANCE_YOUR_CALM.
    /// </summary>
    [Fact]
    public async Task Answers_PeerNeverReads_ControlQueueCappedAt1024()
    {
        // The budget refuses stream 101; max streams (300) keeps the reset-flood limit (1200/s) above 1024 answers.
        var options = new TunnelConnectionOptions { MaxStreams = 300, ReceiveBudgetBytes = 100 * 256 * 1024 };
        await using var peer = await RawPeer.StartAsync(realIsGateway: true, options, new EchoAcceptor(), new TunnelSettings(InitialWindow: 1 << 30));
        var chunk = new byte[16384];
        for (uint id = 1; id < 200; id += 2)
        {
            await peer.SendAsync(peer.Seal(RawPeer.Open(id)));
        }

        for (var i = 0; i < 100; i++)
        {
            Assert.NotNull(await peer.ReadUntilAsync(FrameType.OpenOk)); // No DATA before OPEN_OK (§4.5).
        }

        // 100 streams × 256 KiB (each stream's full credit) come back as echo that nobody reads.
        for (var round = 0; round < 16; round++)
        {
            for (uint id = 1; id < 200; id += 2)
            {
                await peer.SendAsync(peer.Seal(RawPeer.Frame(b => FrameWriter.WriteDataHeader(b, id, chunk.Length, false)).Concat(chunk).ToArray()));
            }
        }

        // Refused OPENs, each answered with an RST that cannot leave.
        for (uint id = 201; id < 201 + (2 * 1100); id += 200)
        {
            await peer.SendAsync(peer.Seal([.. Enumerable.Range(0, 100).Select(k => RawPeer.Open(id + (2 * (uint)k)))]));
        }

        var reason = await peer.Connection.Completion.WithTimeout();
        Assert.True(reason.Contains("more than 1024 answers queued", StringComparison.Ordinal), reason);
        Assert.True(peer.Log.Has(652, "EnhanceYourCalm"));
    }

    [Fact]
    public async Task OpenThenReset_RapidReset_EnhanceYourCalm()
    {
        var acceptor = new ManualAcceptor();
        await using var peer = await RawPeer.StartAsync(realIsGateway: true, acceptor: acceptor);
        var rst = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(rst, (uint)TunnelErrorCode.Cancel);
        for (uint id = 1; id < 2 * 1100; id += 200)
        {
            var frames = new List<byte[]>();
            for (var k = id; k < id + 200; k += 2)
            {
                frames.Add(RawPeer.Open(k));
                frames.Add(RawPeer.Raw(FrameType.Rst, 0, k, rst));
            }

            await peer.SendAsync(peer.Seal([.. frames]));
        }

        Assert.Contains("ENHANCE_YOUR_CALM", await peer.Connection.Completion.WithTimeout(), StringComparison.Ordinal);
        Assert.True(peer.Log.Has(659, "Resets"));
    }

    /// <summary>
    /// The "empty DATA" flood row: an empty DATA without FIN is a PROTOCOL_ERROR at once (the row above), so the
    /// flood that stays within the frame rules is empty DATA+FIN for a stream already gone (it raced an RST, so it
    /// is ignored, §4.5): counted as a useless frame, past 10,000 per second ENHANCE_YOUR_CALM.
    /// </summary>
    [Fact]
    public async Task EmptyDataWithFin_OnAClosedStream_Flood_EnhanceYourCalm()
    {
        await using var peer = await RawPeer.StartAsync(realIsGateway: true, acceptor: new ManualAcceptor());
        var rst = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(rst, (uint)TunnelErrorCode.Cancel);
        await peer.SendAsync(peer.Seal(RawPeer.Open(1), RawPeer.Raw(FrameType.Rst, 0, 1, rst)));
        var emptyFin = RawPeer.Frame(b => FrameWriter.WriteDataHeader(b, 1, 0, fin: true));
        for (var i = 0; i < 12; i++)
        {
            await peer.SendAsync(peer.Seal([.. Enumerable.Repeat(emptyFin, 1000)]));
        }

        var goAway = await peer.ReadUntilAsync(FrameType.GoAway);
        Assert.Equal((uint)TunnelErrorCode.EnhanceYourCalm, BinaryPrimitives.ReadUInt32BigEndian(goAway!.Value.Body.AsSpan(4)));
        Assert.Contains("UselessFrames", await peer.Connection.Completion.WithTimeout(), StringComparison.Ordinal);
    }
}
