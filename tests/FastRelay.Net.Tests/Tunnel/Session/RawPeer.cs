using System.Net.Sockets;
using System.Security.Cryptography;
using FastRelay.TestKit;
using FastRelay.Tunnel.Frames;
using FastRelay.Tunnel.Handshake;
using FastRelay.Tunnel.Noise;
using FastRelay.Tunnel.Records;

namespace FastRelay.Tunnel.Session;

/// <summary>
/// A hand-driven peer of a real <see cref="TunnelConnection"/>: both sides get transport keys made from fixed
/// random keys (no handshake), and the test writes whatever records and frames it likes, hostile ones included.
/// </summary>
internal sealed class RawPeer : IAsyncDisposable
{
    private readonly byte[] _readBuffer = new byte[2 * 65537];
    private readonly Queue<(FrameHeader Header, byte[] Body)> _frames = new();
    private int _readStart;
    private int _readEnd;

    private RawPeer(Socket socket, CipherState send, CipherState receive, TunnelConnection connection, ListLogger log)
    {
        Socket = socket;
        Send = send;
        Receive = receive;
        Connection = connection;
        Log = log;
    }

    public Socket Socket { get; }

    public CipherState Send { get; }

    public CipherState Receive { get; }

    /// <summary>The real side under test.</summary>
    public TunnelConnection Connection { get; }

    public ListLogger Log { get; }

    /// <summary>A real gateway (or edge, when <paramref name="realIsGateway"/> is false) facing this raw peer.</summary>
    public static async Task<RawPeer> StartAsync(bool realIsGateway, TunnelConnectionOptions? options = null,
        ITunnelStreamAcceptor? acceptor = null, TunnelSettings? rawSettings = null, ulong firstNonce = 0)
    {
        var (client, server) = await TunnelPair.ConnectedSocketsAsync();
        var (realSocket, rawSocket) = realIsGateway ? (server, client) : (client, server);
        var edgeToGateway = RandomNumberGenerator.GetBytes(32);
        var gatewayToEdge = RandomNumberGenerator.GetBytes(32);
        var (realSend, realReceive) = realIsGateway ? (gatewayToEdge, edgeToGateway) : (edgeToGateway, gatewayToEdge);
        var keys = new TransportKeys(new CipherState(realSend, firstNonce), new CipherState(realReceive, firstNonce), RandomNumberGenerator.GetBytes(32));
        var local = X25519Dh.Instance.GenerateKeyPair();
        var remote = X25519Dh.Instance.GenerateKeyPair();
        var handshake = new TunnelHandshakeResult(keys, local, remote.PublicKey.ToArray(), rawSettings ?? new TunnelSettings(), "raw");
        var log = new ListLogger();
        var connection = TunnelConnection.Start(realSocket, handshake, isInitiator: !realIsGateway, options ?? new TunnelConnectionOptions(),
            realIsGateway ? acceptor ?? new EchoAcceptor() : null, log, TimeProvider.System);
        return new RawPeer(rawSocket, new CipherState(realReceive, firstNonce), new CipherState(realSend, firstNonce), connection, log);
    }

    /// <summary>One record holding <paramref name="frames"/> (each a whole frame), sealed with the next nonce.</summary>
    public byte[] Seal(params byte[][] frames)
    {
        var plaintext = frames.Sum(f => f.Length);
        var record = new byte[FrameLimits.RecordLengthSize + plaintext + FrameLimits.TagSize];
        var offset = FrameLimits.RecordLengthSize;
        foreach (var frame in frames)
        {
            frame.CopyTo(record, offset);
            offset += frame.Length;
        }

        RecordCodec.Seal(Send, record, plaintext);
        return record;
    }

    public async Task SendAsync(params byte[][] chunks)
    {
        foreach (var chunk in chunks)
        {
            await Socket.SendAsync(chunk, SocketFlags.None).WithTimeout();
        }
    }

    /// <summary>Reads and opens records until a frame of <paramref name="type"/> arrives; null at EOF.</summary>
    public async Task<(FrameHeader Header, byte[] Body)?> ReadUntilAsync(FrameType type)
    {
        while (true)
        {
            while (_frames.TryDequeue(out var pending))
            {
                if (pending.Header.Type == type)
                {
                    return pending;
                }
            }

            while (_readEnd - _readStart >= 2)
            {
                var length = (_readBuffer[_readStart] << 8) | _readBuffer[_readStart + 1];
                if (_readEnd - _readStart < 2 + length)
                {
                    break;
                }

                var record = _readBuffer.AsSpan(_readStart, 2 + length);
                Assert.True(RecordCodec.TryOpen(Receive, record), "the real side's record must authenticate");
                _readStart += 2 + length;
                var reader = new FrameReader(RecordCodec.Plaintext(record));
                while (reader.TryReadNext(out var frame, out _) == FrameReadStatus.Frame)
                {
                    _frames.Enqueue((frame.Header, frame.Body.ToArray())); // Records coalesce frames: keep the rest.
                }

                if (_frames.Count > 0)
                {
                    break;
                }
            }

            if (_frames.Count > 0)
            {
                continue; // Look at the frames just opened before reading more.
            }

            if (_readStart > 0)
            {
                _readBuffer.AsSpan(_readStart, _readEnd - _readStart).CopyTo(_readBuffer);
                (_readStart, _readEnd) = (0, _readEnd - _readStart);
            }

            int n;
            try
            {
                n = await Socket.ReceiveAsync(_readBuffer.AsMemory(_readEnd), SocketFlags.None).AsTask().WithTimeout();
            }
            catch (SocketException)
            {
                return null; // Reset by the real side: nothing more to read.
            }

            if (n == 0)
            {
                return null;
            }

            _readEnd += n;
        }
    }

    public static byte[] Frame(Func<byte[], int> write)
    {
        var buffer = new byte[2048];
        return buffer[..write(buffer)];
    }

    public static byte[] Ping(ulong payload) => Frame(b => FrameWriter.WritePing(b, false, payload));

    public static byte[] Open(uint id) => Frame(b =>
    {
        var target = new byte[64];
        var size = TunnelTargetCodec.Write(StreamIo.Target, target);
        return FrameWriter.WriteOpen(b, id, target.AsSpan(0, size));
    });

    public static byte[] Raw(FrameType type, byte flags, uint streamId, byte[] body) => Frame(b =>
    {
        new FrameHeader(type, flags, body.Length, streamId).Write(b);
        body.CopyTo(b, FrameHeader.Size);
        return FrameHeader.Size + body.Length;
    });

    public async ValueTask DisposeAsync()
    {
        Socket.Dispose();
        await Connection.DisposeAsync().AsTask().WithTimeout();
        Send.Dispose();
        Receive.Dispose();
    }
}
