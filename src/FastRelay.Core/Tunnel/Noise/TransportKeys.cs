namespace FastRelay.Tunnel.Noise;

/// <summary>
/// The keys one side uses after a handshake: epoch 0 from the XX handshake, epoch N+1 from a KK rekey
/// (docs/PROTOCOL.md, "Rekey"). <see cref="Send"/> and <see cref="Receive"/> are already oriented for this side.
/// </summary>
/// <remarks>
/// The record layer switches the two directions at different moments (rekey steps 2–4), so it may take and dispose
/// each <see cref="CipherState"/> on its own; <see cref="Dispose"/> disposes both (idempotent).
/// </remarks>
public sealed class TransportKeys : IDisposable
{
    /// <summary>Takes ownership of both ciphers and of <paramref name="handshakeHash"/>.</summary>
    public TransportKeys(CipherState send, CipherState receive, byte[] handshakeHash)
    {
        ArgumentNullException.ThrowIfNull(send);
        ArgumentNullException.ThrowIfNull(receive);
        ArgumentNullException.ThrowIfNull(handshakeHash);
        Send = send;
        Receive = receive;
        HandshakeHash = handshakeHash;
    }

    /// <summary>The cipher for records this side sends.</summary>
    public CipherState Send { get; }

    /// <summary>The cipher for records this side receives.</summary>
    public CipherState Receive { get; }

    /// <summary>h of the handshake that made these keys: the next rekey's prologue input, and a channel binding.</summary>
    public byte[] HandshakeHash { get; }

    /// <summary>Disposes (zeroizes) both ciphers.</summary>
    public void Dispose()
    {
        Send.Dispose();
        Receive.Dispose();
    }
}
