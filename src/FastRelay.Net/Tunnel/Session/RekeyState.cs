using FastRelay.Tunnel.Frames;
using FastRelay.Tunnel.Handshake;
using FastRelay.Tunnel.Noise;

namespace FastRelay.Tunnel.Session;

/// <summary>
/// The keys of one connection and the in-band rekey in progress (PROTOCOL.md §4.8). The send key belongs to
/// the write loop and the receive key to the read loop: each switches its own, right after the record that
/// ends the old epoch, never from another task. The pending handshake is guarded by a lock because the
/// timer loop starts it and the read loop finishes it.
/// </summary>
internal sealed class RekeyState : IDisposable
{
    private readonly object _gate = new();
    private readonly KeyPair _localStatic;
    private readonly byte[] _remoteStatic;
    private CipherState _send;
    private CipherState _receive;
    private CipherState? _pendingReceive;
    private byte[] _hash;
    private uint _epoch;
    private long _epochStart;
    private RekeyHandshake? _initiating;
    private long _stepDeadline;
    private CipherState? _responderReceive;
    private byte[]? _responderHash;
    private long _bytesSent;
    private long _bytesReceived;

    public RekeyState(TunnelHandshakeResult handshake, long now)
    {
        _localStatic = handshake.LocalStatic;
        _remoteStatic = handshake.RemoteStatic;
        _send = handshake.Keys.Send;
        _receive = handshake.Keys.Receive;
        _hash = handshake.Keys.HandshakeHash;
        _epochStart = now;
    }

    /// <summary>The write loop's key.</summary>
    public CipherState Send => _send;

    /// <summary>The read loop's key.</summary>
    public CipherState Receive => _receive;

    /// <summary>The completed epoch.</summary>
    public uint Epoch => Volatile.Read(ref _epoch);

    /// <summary>When the current epoch began (timestamp).</summary>
    public long EpochStart => Interlocked.Read(ref _epochStart);

    /// <summary>True while a rekey step waits for the peer.</summary>
    public bool IsPending
    {
        get
        {
            lock (_gate)
            {
                return _initiating is not null || _responderReceive is not null;
            }
        }
    }

    /// <summary>The deadline of the pending step (timestamp), when <see cref="IsPending"/>.</summary>
    public long StepDeadline
    {
        get
        {
            lock (_gate)
            {
                return _stepDeadline;
            }
        }
    }

    /// <summary>True when the volume triggers of §4.8 call for a rekey: n ≥ 2^32 or 2^40 bytes either way.</summary>
    public bool VolumeExceeded =>
        _send.Nonce >= 1UL << 32 || _receive.Nonce >= 1UL << 32
        || Interlocked.Read(ref _bytesSent) >= 1L << 40 || Interlocked.Read(ref _bytesReceived) >= 1L << 40;

    public void CountSent(int bytes) => Interlocked.Add(ref _bytesSent, bytes);

    public void CountReceived(int bytes) => Interlocked.Add(ref _bytesReceived, bytes);

    /// <summary>Step 1 (edge): the KK message 1 for epoch N+1, or null when a rekey is already pending.</summary>
    public byte[]? TryBeginAsInitiator(long deadline, out uint newEpoch)
    {
        lock (_gate)
        {
            newEpoch = _epoch + 1;
            if (_initiating is not null)
            {
                return null;
            }

            _initiating = RekeyHandshake.CreateInitiator(_localStatic, _remoteStatic, newEpoch, _hash, X25519Dh.Instance);
            var message = new byte[RekeyHandshake.MessageSize];
            _initiating.WriteMessage(message);
            _stepDeadline = deadline;
            return message;
        }
    }

    /// <summary>
    /// Step 2 (gateway): reads INIT, writes RESP. Returns the RESP message and the new send key (switched by the
    /// write loop after the RESP record), or the REKEY_ERROR reason.
    /// </summary>
    public string? OnInit(uint newEpoch, ReadOnlySpan<byte> message, long deadline, out byte[]? response, out CipherState? nextSend)
    {
        response = null;
        nextSend = null;
        lock (_gate)
        {
            if (_responderReceive is not null)
            {
                return $"second REKEY INIT (epoch {newEpoch}) while the rekey to epoch {_epoch + 1} is pending";
            }

            if (newEpoch != _epoch + 1)
            {
                return $"REKEY INIT for epoch {newEpoch} (expected {_epoch + 1})";
            }

            using var kk = RekeyHandshake.CreateResponder(_localStatic, _remoteStatic, newEpoch, _hash, X25519Dh.Instance);
            if (!kk.TryReadMessage(message))
            {
                return $"REKEY INIT for epoch {newEpoch} failed KK authentication";
            }

            response = new byte[RekeyHandshake.MessageSize];
            kk.WriteMessage(response);
            var keys = kk.Split();
            (nextSend, _responderReceive, _responderHash) = (keys.Send, keys.Receive, keys.HandshakeHash);
            _stepDeadline = deadline;
            return null;
        }
    }

    /// <summary>Step 3 (edge): reads RESP; the receive key switches after this record. Returns the DONE send key, or the reason.</summary>
    public string? OnResp(uint newEpoch, ReadOnlySpan<byte> message, long now, out CipherState? nextSend)
    {
        nextSend = null;
        lock (_gate)
        {
            if (_initiating is null || newEpoch != _epoch + 1)
            {
                return $"REKEY RESP for epoch {newEpoch} without a matching INIT";
            }

            using var kk = _initiating;
            _initiating = null;
            if (!kk.TryReadMessage(message))
            {
                return $"REKEY RESP for epoch {newEpoch} failed KK authentication";
            }

            var keys = kk.Split();
            _pendingReceive = keys.Receive;
            nextSend = keys.Send;
            CompleteEpoch(keys.HandshakeHash, now);
            return null;
        }
    }

    /// <summary>Step 4 (gateway): reads DONE; the receive key switches after this record. Null, or the reason.</summary>
    public string? OnDone(uint newEpoch, long now)
    {
        lock (_gate)
        {
            if (_responderReceive is null || newEpoch != _epoch + 1)
            {
                return $"REKEY DONE for epoch {newEpoch} without a matching INIT";
            }

            _pendingReceive = _responderReceive;
            _responderReceive = null;
            CompleteEpoch(_responderHash!, now);
            return null;
        }
    }

    /// <summary>Read loop, after each record: switches the receive key if the record ended the old epoch.</summary>
    public void SwitchReceiveIfPending()
    {
        if (_pendingReceive is null)
        {
            return;
        }

        _receive.Dispose(); // Zeroizes the old key.
        _receive = _pendingReceive;
        _pendingReceive = null;
        Interlocked.Exchange(ref _bytesReceived, 0);
    }

    /// <summary>Write loop, right after the RESP or DONE record is sealed.</summary>
    public void SwitchSend(CipherState next)
    {
        _send.Dispose();
        _send = next;
        Interlocked.Exchange(ref _bytesSent, 0);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _initiating?.Dispose();
            _responderReceive?.Dispose();
            _pendingReceive?.Dispose();
        }

        _send.Dispose();
        _receive.Dispose();
    }

    private void CompleteEpoch(byte[] hash, long now)
    {
        _hash = hash;
        Volatile.Write(ref _epoch, _epoch + 1);
        Interlocked.Exchange(ref _epochStart, now);
    }

    /// <summary>The frame flag and body size of a REKEY step, for the control queue.</summary>
    public static ControlFrame Frame(byte flag, uint epoch, byte[]? message, CipherState? switchSendTo) =>
        new(FrameType.Rekey, flag, 0, epoch) { Payload = message, SwitchSendTo = switchSendTo };
}
