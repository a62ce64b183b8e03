using System.Buffers.Binary;
using System.Text;

namespace FastRelay.Tunnel.Noise;

/// <summary>
/// One in-band rekey, epoch N → N+1 (docs/PROTOCOL.md "Rekey", tunnel.md §4.8): a complete
/// <c>Noise_KK_25519_ChaChaPoly_SHA256</c> handshake between the statics authenticated at epoch 0, with fresh
/// ephemerals (a new DH every epoch: forward secrecy), empty payloads (both messages are 48 bytes), and the
/// prologue <c>"RTUN/1 rekey" ‖ u32 BE (N+1) ‖ h_N</c>, which binds it to this connection and epoch.
/// </summary>
/// <remarks>
/// Initiator (edge): <see cref="WriteMessage"/> (msg1), <see cref="TryReadMessage"/> (msg2), <see cref="Split"/>.
/// Responder (exit): <see cref="TryReadMessage"/> (msg1), <see cref="WriteMessage"/> (msg2), <see cref="Split"/>.
/// Not thread-safe. A false from <see cref="TryReadMessage"/> means REKEY_ERROR: close the connection.
/// </remarks>
public sealed class RekeyHandshake : IDisposable
{
    /// <summary>Size of each KK message with an empty payload: e (32) + the empty payload's tag (16).</summary>
    public const int MessageSize = 48;

    private static readonly byte[] PrologueLabel = Encoding.ASCII.GetBytes("RTUN/1 rekey");

    private readonly HandshakeState _state;

    private RekeyHandshake(HandshakeState state) => _state = state;

    /// <summary>The edge's side.</summary>
    public static RekeyHandshake CreateInitiator(KeyPair localStatic, ReadOnlySpan<byte> remoteStatic, uint newEpoch,
        ReadOnlySpan<byte> previousHash, IDh dh) => Create(true, localStatic, remoteStatic, newEpoch, previousHash, dh, null);

    /// <summary>The exit's side.</summary>
    public static RekeyHandshake CreateResponder(KeyPair localStatic, ReadOnlySpan<byte> remoteStatic, uint newEpoch,
        ReadOnlySpan<byte> previousHash, IDh dh) => Create(false, localStatic, remoteStatic, newEpoch, previousHash, dh, null);

    /// <summary>Test-only: a fixed ephemeral key (golden transcripts).</summary>
    internal static RekeyHandshake CreateWithFixedEphemeral(bool isInitiator, KeyPair localStatic, ReadOnlySpan<byte> remoteStatic,
        uint newEpoch, ReadOnlySpan<byte> previousHash, IDh dh, KeyPair ephemeral)
        => Create(isInitiator, localStatic, remoteStatic, newEpoch, previousHash, dh, ephemeral);

    /// <summary>The prologue of the rekey to <paramref name="newEpoch"/>.</summary>
    internal static byte[] Prologue(uint newEpoch, ReadOnlySpan<byte> previousHash)
    {
        var prologue = new byte[PrologueLabel.Length + 4 + previousHash.Length];
        PrologueLabel.CopyTo(prologue, 0);
        BinaryPrimitives.WriteUInt32BigEndian(prologue.AsSpan(PrologueLabel.Length), newEpoch);
        previousHash.CopyTo(prologue.AsSpan(PrologueLabel.Length + 4));
        return prologue;
    }

    /// <summary>Writes this side's 48-byte message (initiator: msg1; responder: msg2, after reading msg1).</summary>
    /// <exception cref="ArgumentException"><paramref name="message"/> is not 48 bytes.</exception>
    /// <exception cref="InvalidOperationException">Not this side's turn, or a DH gave all zeros (treat as REKEY_ERROR).</exception>
    public void WriteMessage(Span<byte> message)
    {
        if (message.Length != MessageSize)
        {
            throw new ArgumentException($"must be {MessageSize} bytes (got {message.Length})", nameof(message));
        }

        if (!_state.TryWriteMessage(ReadOnlySpan<byte>.Empty, message, out var written) || written != MessageSize)
        {
            throw new InvalidOperationException("rekey message could not be written (all-zero DH)");
        }
    }

    /// <summary>Reads the peer's message. False on a wrong size, a KK authentication failure or an all-zero DH.</summary>
    public bool TryReadMessage(ReadOnlySpan<byte> message)
        => message.Length == MessageSize && _state.TryReadMessage(message, Span<byte>.Empty, out _);

    /// <summary>After both messages: the epoch N+1 keys, oriented for this side, with h_{N+1}.</summary>
    public TransportKeys Split()
    {
        var (initiatorToResponder, responderToInitiator) = _state.Split();
        var hash = _state.GetHandshakeHash();
        return _state.IsInitiator
            ? new TransportKeys(initiatorToResponder, responderToInitiator, hash)
            : new TransportKeys(responderToInitiator, initiatorToResponder, hash);
    }

    /// <summary>Zeroizes the handshake secrets (not the keys returned by <see cref="Split"/>).</summary>
    public void Dispose() => _state.Dispose();

    private static RekeyHandshake Create(bool isInitiator, KeyPair localStatic, ReadOnlySpan<byte> remoteStatic, uint newEpoch,
        ReadOnlySpan<byte> previousHash, IDh dh, KeyPair? ephemeral)
    {
        ArgumentNullException.ThrowIfNull(localStatic);
        ArgumentNullException.ThrowIfNull(dh);
        if (remoteStatic.Length != dh.KeySize)
        {
            throw new ArgumentException($"must be {dh.KeySize} bytes (got {remoteStatic.Length})", nameof(remoteStatic));
        }

        var prologue = Prologue(newEpoch, previousHash);
        var state = ephemeral is null
            ? HandshakeState.Create(HandshakePattern.KK, isInitiator, prologue, localStatic, remoteStatic, dh)
            : HandshakeState.CreateWithFixedEphemeral(HandshakePattern.KK, isInitiator, prologue, localStatic, remoteStatic, dh, null, ephemeral);
        return new RekeyHandshake(state);
    }
}
