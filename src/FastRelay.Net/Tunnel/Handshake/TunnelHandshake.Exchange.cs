using System.Buffers.Binary;
using System.Net.Sockets;
using FastRelay.Tunnel.Identity;
using FastRelay.Tunnel.Noise;

namespace FastRelay.Tunnel.Handshake;

public static partial class TunnelHandshake
{
    /// <summary>One handshake's state and steps; the step numbers match docs/PROTOCOL.md "Handshake".</summary>
    private sealed class Exchange(Socket socket, KeyPair localStatic, TunnelAuthentication peer, TunnelSettings local,
        string? nodeName, CancellationToken ct) : IDisposable
    {
        private readonly byte[] _buffer = new byte[2 + MaxMessageSize];
        private HandshakeState? _state;

        /// <summary>What the exchange was doing, for timeout and socket-error reasons.</summary>
        public string Stage { get; private set; } = "starting";

        public async Task<TunnelHandshakeResult> InitiateAsync()
        {
            // :: Step I1: preamble and msg1 (e, empty payload) in one send.
            Stage = "sending the preamble and msg1";
            var preamble = new byte[TunnelPreamble.Size];
            TunnelPreamble.Write(preamble);
            _state = HandshakeState.Create(HandshakePattern.XX, true, TunnelPreamble.Prologue(preamble), localStatic, [], X25519Dh.Instance);
            preamble.CopyTo(_buffer, 0);
            BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(TunnelPreamble.Size), Msg1Size);
            Check(_state.TryWriteMessage([], _buffer.AsSpan(TunnelPreamble.Size + 2, Msg1Size), out _), "msg1 could not be written");
            await HandshakeSocket.SendAsync(socket, _buffer.AsMemory(0, TunnelPreamble.Size + 2 + Msg1Size), ct);

            // :: Step I2: msg2 (e, ee, s, es, exit identity). An exit that speaks another version answers with its preamble.
            Stage = "waiting for msg2";
            var length = await ReadLengthOrPreambleAsync();
            CheckRange("msg2", length, Msg2MinSize);
            var msg2 = await ReadBodyAsync("msg2", length);
            var payload = new byte[length];
            Check(_state.TryReadMessage(msg2, payload, out var payloadLength),
                "msg2 authentication failed (wrong exit key, tampering or an all-zero DH)");
            var remoteStatic = _state.RemoteStatic.ToArray();

            // :: Step I3: check the exit's identity before msg3 reveals ours.
            if (CheckIdentity(payload.AsSpan(0, payloadLength), remoteStatic, peer, StaticKeyBinding.ResponderRole,
                    out var identity, out var settings) is { } reason)
            {
                throw new TunnelHandshakeException("exit identity rejected: " + reason, Convert.ToBase64String(remoteStatic));
            }

            // :: Step I4: msg3 (s, se, our identity); then Split: c1 sends, c2 receives.
            Stage = "sending msg3";
            var ours = BuildIdentity(localStatic, peer, local, nodeName, StaticKeyBinding.InitiatorRole);
            Check(_state.TryWriteMessage(ours, _buffer.AsSpan(2), out var written), "msg3 could not be written (local identity too large?)");
            BinaryPrimitives.WriteUInt16BigEndian(_buffer, (ushort)written);
            await HandshakeSocket.SendAsync(socket, _buffer.AsMemory(0, 2 + written), ct);
            var (c1, c2) = _state.Split();
            var keys = new TransportKeys(c1, c2, _state.GetHandshakeHash());
            return new TunnelHandshakeResult(keys, localStatic, remoteStatic, settings, identity!, StaticKeyBinding.ResponderRole);
        }

        public async Task<TunnelHandshakeResult> RespondAsync()
        {
            // :: Step R1: the preamble. Garbage closes silently; another version gets our preamble so the edge can say why.
            Stage = "waiting for the preamble";
            var preamble = new byte[TunnelPreamble.Size];
            var read = await HandshakeSocket.ReadExactlyAsync(socket, preamble, ct);
            if (read < TunnelPreamble.Size)
            {
                throw new TunnelHandshakeException(read == 0 ? "connection closed before the preamble" : $"truncated preamble ({read} of 8 bytes)");
            }

            if (!TunnelPreamble.HasMagic(preamble))
            {
                throw new TunnelHandshakeException("bad preamble");
            }

            if (TunnelPreamble.VersionOf(preamble) != TunnelPreamble.Version)
            {
                var ours = new byte[TunnelPreamble.Size];
                TunnelPreamble.Write(ours);
                await HandshakeSocket.SendAsync(socket, ours, ct);
                throw new TunnelHandshakeException(
                    $"version mismatch: the edge speaks version {TunnelPreamble.VersionOf(preamble)}, this exit speaks {TunnelPreamble.Version}");
            }

            // :: Step R2: msg1 must be exactly e (32 bytes): it is in clear, so it carries nothing else.
            Stage = "waiting for msg1";
            _state = HandshakeState.Create(HandshakePattern.XX, false, TunnelPreamble.Prologue(preamble), localStatic, [], X25519Dh.Instance);
            var length = await ReadLengthAsync("msg1");
            if (length != Msg1Size)
            {
                throw new TunnelHandshakeException($"msg1 length {length}, expected {Msg1Size}");
            }

            var msg1 = await ReadBodyAsync("msg1", length);
            Check(_state.TryReadMessage(msg1, Span<byte>.Empty, out _), "msg1 rejected");

            // :: Step R3: msg2 (e, ee, s, es, our identity).
            Stage = "sending msg2";
            var identityBytes = BuildIdentity(localStatic, peer, local, nodeName, StaticKeyBinding.ResponderRole);
            Check(_state.TryWriteMessage(identityBytes, _buffer.AsSpan(2), out var written),
                "msg2 could not be written (all-zero DH or local identity too large)");
            BinaryPrimitives.WriteUInt16BigEndian(_buffer, (ushort)written);
            await HandshakeSocket.SendAsync(socket, _buffer.AsMemory(0, 2 + written), ct);

            // :: Step R4: msg3 (s, se, edge identity).
            Stage = "waiting for msg3";
            length = await ReadLengthAsync("msg3");
            CheckRange("msg3", length, Msg3MinSize);
            var msg3 = await ReadBodyAsync("msg3", length);
            var payload = new byte[length];
            Check(_state.TryReadMessage(msg3, payload, out var payloadLength),
                "msg3 authentication failed (tampering or an all-zero DH)");
            var remoteStatic = _state.RemoteStatic.ToArray();
            var (c1, c2) = _state.Split();
            var keys = new TransportKeys(c2, c1, _state.GetHandshakeHash());

            // :: Step R5: check the edge's identity; on rejection our first record is GOAWAY(AUTH_FAILED), then close.
            if (CheckIdentity(payload.AsSpan(0, payloadLength), remoteStatic, peer, StaticKeyBinding.InitiatorRole,
                    out var identity, out var settings) is { } reason)
            {
                Stage = "sending GOAWAY(AUTH_FAILED)";
                try
                {
                    await HandshakeSocket.SendAsync(socket, AuthFailedRecord.Write(keys.Send), ct);
                }
                finally
                {
                    keys.Dispose();
                }

                throw new TunnelHandshakeException("edge identity rejected: " + reason, Convert.ToBase64String(remoteStatic));
            }

            return new TunnelHandshakeResult(keys, localStatic, remoteStatic, settings, identity!, StaticKeyBinding.InitiatorRole);
        }

        public void Dispose() => _state?.Dispose();

        private static void Check(bool ok, string reason)
        {
            if (!ok)
            {
                throw new TunnelHandshakeException(reason);
            }
        }

        private static void CheckRange(string name, int length, int min)
        {
            if (length < min || length > MaxMessageSize)
            {
                throw new TunnelHandshakeException($"{name} length {length} outside [{min}, {MaxMessageSize}]");
            }
        }

        private async ValueTask<int> ReadLengthAsync(string name)
        {
            var read = await HandshakeSocket.ReadExactlyAsync(socket, _buffer.AsMemory(0, 2), ct);
            if (read < 2)
            {
                throw new TunnelHandshakeException(read == 0 ? $"connection closed before {name}" : $"truncated {name} length");
            }

            return ReadLength(_buffer);
        }

        private async ValueTask<int> ReadLengthOrPreambleAsync()
        {
            var length = await ReadLengthAsync("msg2");
            if (length != ReadLength(TunnelPreamble.Magic))
            {
                return length;
            }

            // "RT" = 21076 is above MaxMessageSize, so it can only be the start of an exit's version-mismatch preamble.
            var read = await HandshakeSocket.ReadExactlyAsync(socket, _buffer.AsMemory(2, TunnelPreamble.Size - 2), ct);
            var preamble = _buffer.AsSpan(0, TunnelPreamble.Size);
            if (read == TunnelPreamble.Size - 2 && TunnelPreamble.HasMagic(preamble))
            {
                throw new TunnelHandshakeException(
                    $"version mismatch: the exit speaks version {TunnelPreamble.VersionOf(preamble)}, this edge speaks {TunnelPreamble.Version}");
            }

            return length;
        }

        private async ValueTask<byte[]> ReadBodyAsync(string name, int length)
        {
            var body = new byte[length];
            var read = await HandshakeSocket.ReadExactlyAsync(socket, body, ct);
            if (read < length)
            {
                throw new TunnelHandshakeException($"truncated {name} ({read} of {length} bytes)");
            }

            return body;
        }
    }
}
