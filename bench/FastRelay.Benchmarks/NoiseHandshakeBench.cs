using BenchmarkDotNet.Attributes;
using FastRelay.Tunnel.Noise;

namespace FastRelay.Benchmarks;

/// <summary>
/// The CPU cost of the tunnel's handshakes per side: epoch 0's Noise XX (what a new pooled tunnel connection pays,
/// never a new client session) and the KK rekey (every 120 s per connection). Each side replays a transcript made with
/// fixed ephemeral keys, so one side runs without the other; the fresh ephemeral key a real handshake generates is
/// included (one more X25519 base-point multiplication). The identity payloads are 120 bytes (pinned mode with settings).
/// Sockets and certificate checks are not included (see TunnelHandshakeTests for the real exchange).
/// </summary>
[MemoryDiagnoser]
public class NoiseHandshakeBench
{
    private static readonly X25519Dh Dh = X25519Dh.Instance;
    private readonly byte[] _payload = new byte[120];
    private readonly byte[] _message = new byte[1024];
    private readonly byte[] _read = new byte[1024];
    private KeyPair _edgeStatic = null!;
    private KeyPair _exitStatic = null!;
    private KeyPair _edgeEphemeral = null!;
    private KeyPair _exitEphemeral = null!;
    private byte[] _prologue = null!;
    private byte[] _msg1 = null!;
    private byte[] _msg2 = null!;
    private byte[] _msg3 = null!;
    private byte[] _kk1 = null!;
    private byte[] _kk2 = null!;

    [GlobalSetup]
    public void Setup()
    {
        _edgeStatic = Dh.GenerateKeyPair();
        _exitStatic = Dh.GenerateKeyPair();
        _edgeEphemeral = Dh.GenerateKeyPair();
        _exitEphemeral = Dh.GenerateKeyPair();
        var preamble = new byte[TunnelPreamble.Size];
        TunnelPreamble.Write(preamble);
        _prologue = TunnelPreamble.Prologue(preamble);
        using var initiator = Xx(true);
        using var responder = Xx(false);
        _msg1 = Write(initiator, []);
        Read(responder, _msg1);
        _msg2 = Write(responder, _payload);
        Read(initiator, _msg2);
        _msg3 = Write(initiator, _payload);
        Read(responder, _msg3);

        using var kkInitiator = RekeyHandshake.CreateWithFixedEphemeral(true, _edgeStatic, _exitStatic.PublicKey, 1, new byte[32], Dh, _edgeEphemeral);
        using var kkResponder = RekeyHandshake.CreateWithFixedEphemeral(false, _exitStatic, _edgeStatic.PublicKey, 1, new byte[32], Dh, _exitEphemeral);
        _kk1 = new byte[RekeyHandshake.MessageSize];
        kkInitiator.WriteMessage(_kk1);
        kkResponder.TryReadMessage(_kk1);
        _kk2 = new byte[RekeyHandshake.MessageSize];
        kkResponder.WriteMessage(_kk2);
    }

    /// <summary>One X25519 agreement through <see cref="IDh"/>: the unit of handshake cost.</summary>
    [Benchmark(Baseline = true)]
    public bool X25519Agree() => Dh.TryAgree(_edgeStatic.PrivateKey, _exitStatic.PublicKey, _read.AsSpan(0, 32));

    [Benchmark]
    public byte[] XxInitiator()
    {
        using var fresh = Dh.GenerateKeyPair();
        using var state = Xx(true);
        state.TryWriteMessage([], _message, out _);
        state.TryReadMessage(_msg2, _read, out _);
        state.TryWriteMessage(_payload, _message, out _);
        return Finish(state);
    }

    [Benchmark]
    public byte[] XxResponder()
    {
        using var fresh = Dh.GenerateKeyPair();
        using var state = Xx(false);
        state.TryReadMessage(_msg1, _read, out _);
        state.TryWriteMessage(_payload, _message, out _);
        state.TryReadMessage(_msg3, _read, out _);
        return Finish(state);
    }

    [Benchmark]
    public byte[] RekeyResponder()
    {
        using var fresh = Dh.GenerateKeyPair();
        using var rekey = RekeyHandshake.CreateWithFixedEphemeral(false, _exitStatic, _edgeStatic.PublicKey, 1, new byte[32], Dh, _exitEphemeral);
        rekey.TryReadMessage(_kk1);
        rekey.WriteMessage(_message.AsSpan(0, RekeyHandshake.MessageSize));
        using var keys = rekey.Split();
        return keys.HandshakeHash;
    }

    [Benchmark]
    public byte[] RekeyInitiator()
    {
        using var fresh = Dh.GenerateKeyPair();
        using var rekey = RekeyHandshake.CreateWithFixedEphemeral(true, _edgeStatic, _exitStatic.PublicKey, 1, new byte[32], Dh, _edgeEphemeral);
        rekey.WriteMessage(_message.AsSpan(0, RekeyHandshake.MessageSize));
        rekey.TryReadMessage(_kk2);
        using var keys = rekey.Split();
        return keys.HandshakeHash;
    }

    private static byte[] Finish(HandshakeState state)
    {
        var (a, b) = state.Split();
        a.Dispose();
        b.Dispose();
        return state.GetHandshakeHash();
    }

    private HandshakeState Xx(bool initiator) => HandshakeState.CreateWithFixedEphemeral(HandshakePattern.XX, initiator, _prologue,
        initiator ? _edgeStatic : _exitStatic, [], Dh, null, initiator ? _edgeEphemeral : _exitEphemeral);

    private static byte[] Write(HandshakeState state, byte[] payload)
    {
        var buffer = new byte[1024];
        state.TryWriteMessage(payload, buffer, out var written);
        return buffer[..written];
    }

    private void Read(HandshakeState state, byte[] message) => state.TryReadMessage(message, _read, out _);
}
