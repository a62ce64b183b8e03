using System.Security.Cryptography;

namespace FastRelay.Tunnel.Noise;

/// <summary>
/// Noise HandshakeState (spec §5.3) for <c>Noise_*_25519_ChaChaPoly_SHA256</c>: runs one pattern's messages in
/// turn, then <see cref="Split"/> gives the transport ciphers. Every failure is a value (false); after a false the
/// state is dead and the connection must close.
/// </summary>
/// <remarks>
/// Not thread-safe. Ephemeral keys always come from <see cref="IDh.GenerateKeyPair"/>; only tests replaying the
/// published vectors inject fixed ones (<see cref="CreateWithFixedEphemeral"/>). Any all-zero DH output aborts
/// (docs/PROTOCOL.md, "All-zero DH"): it means the peer sent a low-order point to force a known secret.
/// </remarks>
internal sealed class HandshakeState : IDisposable
{
    private readonly HandshakePattern _pattern;
    private readonly SymmetricState _symmetric;
    private readonly IDh _dh;
    private readonly KeyPair? _localStatic;
    private readonly byte[]? _psk;
    private readonly KeyPair? _fixedEphemeral;
    private KeyPair? _localEphemeral;
    private byte[]? _remoteStatic;
    private byte[]? _remoteEphemeral;
    private int _messageIndex;
    private bool _failed;

    private HandshakeState(HandshakePattern pattern, bool isInitiator, ReadOnlySpan<byte> prologue, KeyPair? localStatic,
        ReadOnlySpan<byte> remoteStatic, IDh dh, byte[]? psk, KeyPair? fixedEphemeral)
    {
        _pattern = pattern;
        IsInitiator = isInitiator;
        _dh = dh;
        _localStatic = localStatic;
        _psk = psk;
        _fixedEphemeral = fixedEphemeral;
        _remoteStatic = remoteStatic.IsEmpty ? null : remoteStatic.ToArray();
        _symmetric = new SymmetricState(pattern.ProtocolName);
        _symmetric.MixHash(prologue);
        MixPreMessage(pattern.InitiatorPreMessage, isInitiator);
        MixPreMessage(pattern.ResponderPreMessage, !isInitiator);
    }

    /// <summary>Whether this side sent the first message.</summary>
    public bool IsInitiator { get; }

    /// <summary>Whether all messages of the pattern have been written or read.</summary>
    public bool IsComplete => _messageIndex == _pattern.Messages.Count;

    /// <summary>Whether the next message is ours to write.</summary>
    public bool IsMyTurn => !IsComplete && (_messageIndex % 2 == 0) == IsInitiator;

    /// <summary>The peer's static public key once known (pre-message or received), else null.</summary>
    public ReadOnlySpan<byte> RemoteStatic => _remoteStatic;

    /// <summary>h: after the last message, the handshake hash (channel binding, rekey prologue).</summary>
    public byte[] GetHandshakeHash() => _symmetric.Hash.ToArray();

    /// <summary>
    /// Starts a handshake. <paramref name="remoteStatic"/> is the peer's static key when the pattern has it as a
    /// pre-message (KK, NK, IK), else empty. <paramref name="psk"/> only for psk patterns (32 bytes).
    /// </summary>
    public static HandshakeState Create(HandshakePattern pattern, bool isInitiator, ReadOnlySpan<byte> prologue,
        KeyPair? localStatic, ReadOnlySpan<byte> remoteStatic, IDh dh, byte[]? psk = null)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(dh);
        return new HandshakeState(pattern, isInitiator, prologue, localStatic, remoteStatic, dh, psk, null);
    }

    /// <summary>Test-only hook: uses <paramref name="ephemeral"/> instead of a fresh key (replays the published vectors).</summary>
    internal static HandshakeState CreateWithFixedEphemeral(HandshakePattern pattern, bool isInitiator,
        ReadOnlySpan<byte> prologue, KeyPair? localStatic, ReadOnlySpan<byte> remoteStatic, IDh dh, byte[]? psk, KeyPair ephemeral)
        => new(pattern, isInitiator, prologue, localStatic, remoteStatic, dh, psk, ephemeral);

    /// <summary>
    /// WriteMessage: tokens of the current message, then the encrypted payload, into <paramref name="message"/>.
    /// False when a DH gave all zeros (the peer's key was low-order) or the buffer is too small.
    /// </summary>
    public bool TryWriteMessage(ReadOnlySpan<byte> payload, Span<byte> message, out int written)
    {
        written = 0;
        if (_failed || !IsMyTurn)
        {
            throw new InvalidOperationException(_failed ? "the handshake already failed" : "not this side's turn to write");
        }

        var offset = 0;
        foreach (var token in _pattern.Messages[_messageIndex])
        {
            if (!TryWriteToken(token, message, ref offset))
            {
                return Fail();
            }
        }

        if (message.Length - offset < payload.Length + (_symmetric.HasKey ? CipherState.TagSize : 0))
        {
            return Fail();
        }

        offset += _symmetric.EncryptAndHash(payload, message[offset..]);
        written = offset;
        _messageIndex++;
        return true;
    }

    /// <summary>
    /// ReadMessage: false on a short message, an authentication failure (wrong key, tampering) or an all-zero DH.
    /// The decrypted payload goes to <paramref name="payload"/> (at most message length bytes).
    /// </summary>
    public bool TryReadMessage(ReadOnlySpan<byte> message, Span<byte> payload, out int payloadLength)
    {
        payloadLength = 0;
        if (_failed || IsComplete || IsMyTurn)
        {
            throw new InvalidOperationException(_failed ? "the handshake already failed" : "not this side's turn to read");
        }

        var offset = 0;
        foreach (var token in _pattern.Messages[_messageIndex])
        {
            if (!TryReadToken(token, message, ref offset))
            {
                return Fail();
            }
        }

        var rest = message[offset..];
        if (_symmetric.HasKey && rest.Length < CipherState.TagSize)
        {
            return Fail();
        }

        if (payload.Length < rest.Length - (_symmetric.HasKey ? CipherState.TagSize : 0)
            || !_symmetric.TryDecryptAndHash(rest, payload, out payloadLength))
        {
            return Fail();
        }

        _messageIndex++;
        return true;
    }

    /// <summary>Split(): (initiator→responder, responder→initiator). Only after the last message.</summary>
    public (CipherState InitiatorToResponder, CipherState ResponderToInitiator) Split()
    {
        if (!IsComplete || _failed)
        {
            throw new InvalidOperationException("the handshake is not complete");
        }

        return _symmetric.Split();
    }

    /// <summary>Zeroizes the chaining key, the handshake key and the ephemeral private key.</summary>
    public void Dispose()
    {
        _symmetric.Dispose();
        if (!ReferenceEquals(_localEphemeral, _fixedEphemeral))
        {
            _localEphemeral?.Dispose();
        }
    }

    private bool Fail()
    {
        _failed = true;
        return false;
    }

    private void MixPreMessage(IReadOnlyList<NoiseToken> tokens, bool isLocal)
    {
        foreach (var token in tokens)
        {
            if (token != NoiseToken.S)
            {
                throw new NotSupportedException("only 's' pre-messages are supported");
            }

            var key = isLocal ? _localStatic?.PublicKey.ToArray() : _remoteStatic;
            if (key is null)
            {
                throw new ArgumentException($"pattern {_pattern.Name} needs the {(isLocal ? "local" : "remote")} static key first");
            }

            _symmetric.MixHash(key);
        }
    }

    private bool TryWriteToken(NoiseToken token, Span<byte> message, ref int offset)
    {
        var size = _dh.KeySize;
        switch (token)
        {
            case NoiseToken.E:
                if (message.Length - offset < size)
                {
                    return false;
                }

                _localEphemeral = _fixedEphemeral ?? _dh.GenerateKeyPair();
                _localEphemeral.PublicKey.CopyTo(message[offset..]);
                offset += size;
                _symmetric.MixHash(_localEphemeral.PublicKey);
                if (_pattern.HasPsk)
                {
                    _symmetric.MixKey(_localEphemeral.PublicKey);
                }

                return true;
            case NoiseToken.S:
                var needed = size + (_symmetric.HasKey ? CipherState.TagSize : 0);
                if (_localStatic is null || message.Length - offset < needed)
                {
                    return false;
                }

                offset += _symmetric.EncryptAndHash(_localStatic.PublicKey, message[offset..]);
                return true;
            default:
                return TryMixToken(token);
        }
    }

    private bool TryReadToken(NoiseToken token, ReadOnlySpan<byte> message, ref int offset)
    {
        var size = _dh.KeySize;
        switch (token)
        {
            case NoiseToken.E:
                if (message.Length - offset < size)
                {
                    return false;
                }

                _remoteEphemeral = message.Slice(offset, size).ToArray();
                offset += size;
                _symmetric.MixHash(_remoteEphemeral);
                if (_pattern.HasPsk)
                {
                    _symmetric.MixKey(_remoteEphemeral);
                }

                return true;
            case NoiseToken.S:
                var length = size + (_symmetric.HasKey ? CipherState.TagSize : 0);
                if (message.Length - offset < length)
                {
                    return false;
                }

                var key = new byte[size];
                if (!_symmetric.TryDecryptAndHash(message.Slice(offset, length), key, out _))
                {
                    return false;
                }

                _remoteStatic = key;
                offset += length;
                return true;
            default:
                return TryMixToken(token);
        }
    }

    private bool TryMixToken(NoiseToken token)
    {
        if (token == NoiseToken.Psk)
        {
            if (_psk is null)
            {
                return false;
            }

            _symmetric.MixKeyAndHash(_psk);
            return true;
        }

        // ES: the initiator's e with the responder's s; SE: the initiator's s with the responder's e (spec §7.1).
        var (local, remote) = token switch
        {
            NoiseToken.EE => (_localEphemeral, _remoteEphemeral),
            NoiseToken.SS => (_localStatic, _remoteStatic),
            NoiseToken.ES => IsInitiator ? (_localEphemeral, _remoteStatic) : (_localStatic, _remoteEphemeral),
            _ => IsInitiator ? (_localStatic, _remoteEphemeral) : (_localEphemeral, _remoteStatic),
        };
        if (local is null || remote is null)
        {
            return false;
        }

        Span<byte> shared = stackalloc byte[32];
        var ok = _dh.TryAgree(local.PrivateKey, remote, shared);
        if (ok)
        {
            _symmetric.MixKey(shared);
        }

        CryptographicOperations.ZeroMemory(shared);
        return ok;
    }
}
