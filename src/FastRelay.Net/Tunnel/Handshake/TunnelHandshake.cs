using System.Buffers.Binary;
using System.Net.Sockets;
using FastRelay.Tunnel.Identity;
using FastRelay.Tunnel.Noise;

namespace FastRelay.Tunnel.Handshake;

/// <summary>
/// Epoch 0 of a tunnel (docs/PROTOCOL.md "Handshake"): the preamble, then <c>Noise_XX_25519_ChaChaPoly_SHA256</c> with
/// u16-length-prefixed messages and the identity checks. The edge initiates; the exit (gateway) responds.
/// </summary>
/// <remarks>
/// Each failure throws <see cref="TunnelHandshakeException"/> whose message is the reason to log. The socket is never
/// closed here: on failure the caller disposes it, which is the close the protocol asks for. Cancelling
/// <c>ct</c> throws <see cref="OperationCanceledException"/>; the <c>timeout</c> (5 s by default) covers the whole exchange.
/// </remarks>
public static partial class TunnelHandshake
{
    /// <summary>Largest handshake message (msg2, msg3): 16 KiB holds a 4-certificate chain and a signature.</summary>
    public const int MaxMessageSize = 16 * 1024;

    /// <summary>msg1: <c>e</c> with an empty, unencrypted payload.</summary>
    public const int Msg1Size = 32;

    /// <summary>Smallest msg2: e (32) + encrypted s (48) + empty encrypted payload (16).</summary>
    public const int Msg2MinSize = 32 + 48 + 16;

    /// <summary>Smallest msg3: encrypted s (48) + empty encrypted payload (16).</summary>
    public const int Msg3MinSize = 48 + 16;

    /// <summary>The handshake timeout of the design (docs/PROTOCOL.md "Hostile input").</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The edge's side. Returns once msg3 is sent; an exit that then rejects us answers with GOAWAY(AUTH_FAILED).</summary>
    /// <exception cref="TunnelHandshakeException">The handshake failed; the message is the reason.</exception>
    public static Task<TunnelHandshakeResult> InitiateAsync(Socket socket, KeyPair localStatic, TunnelAuthentication peer,
        TunnelSettings local, string? nodeName, TimeSpan timeout, CancellationToken ct)
        => RunAsync(isInitiator: true, socket, localStatic, peer, local, nodeName, timeout, ct);

    /// <summary>The exit's side. Returns once msg3 is read and the edge accepted.</summary>
    /// <exception cref="TunnelHandshakeException">The handshake failed; the message is the reason.</exception>
    public static Task<TunnelHandshakeResult> RespondAsync(Socket socket, KeyPair localStatic, TunnelAuthentication peer,
        TunnelSettings local, string? nodeName, TimeSpan timeout, CancellationToken ct)
        => RunAsync(isInitiator: false, socket, localStatic, peer, local, nodeName, timeout, ct);

    private static async Task<TunnelHandshakeResult> RunAsync(bool isInitiator, Socket socket, KeyPair localStatic,
        TunnelAuthentication peer, TunnelSettings local, string? nodeName, TimeSpan timeout, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(localStatic);
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentNullException.ThrowIfNull(local);
        if (TunnelSettingsCodec.Validate(local) is { } invalid)
        {
            throw new ArgumentException(invalid, nameof(local));
        }

        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeoutSource.CancelAfter(timeout);
        var exchange = new Exchange(socket, localStatic, peer, local, nodeName, timeoutSource.Token);
        try
        {
            return isInitiator ? await exchange.InitiateAsync() : await exchange.RespondAsync();
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TunnelHandshakeException($"handshake timed out after {timeout.TotalSeconds:0.###} s while {exchange.Stage}");
        }
        catch (SocketException e)
        {
            throw new TunnelHandshakeException($"socket error while {exchange.Stage}: {e.SocketErrorCode}", e);
        }
        finally
        {
            exchange.Dispose();
        }
    }

    /// <summary>The identity payload this side sends, with a fresh binding in CA mode.</summary>
    private static byte[] BuildIdentity(KeyPair localStatic, TunnelAuthentication peer, TunnelSettings local, string? nodeName, byte role)
    {
        IReadOnlyList<byte[]> chain = [];
        byte[]? signature = null;
        ulong? notAfter = null;
        if (peer.LocalCredential is { } credential)
        {
            chain = credential.ChainDer;
            (signature, notAfter) = credential.SignBinding(localStatic.PublicKey, role, peer.Time.GetUtcNow());
        }

        return IdentityPayloadCodec.Encode(new IdentityPayload(nodeName, chain, signature, notAfter, TunnelSettingsCodec.Encode(local)));
    }

    /// <summary>Decodes and checks a peer identity; null when accepted, else the reason (without the side prefix).</summary>
    private static string? CheckIdentity(ReadOnlySpan<byte> payload, ReadOnlySpan<byte> remoteStatic, TunnelAuthentication peer,
        byte peerRole, out IdentityPayload? identity, out TunnelSettings settings)
    {
        settings = new TunnelSettings();
        if (!IdentityPayloadCodec.TryDecode(payload, out identity, out var error))
        {
            return error;
        }

        if (identity!.Settings is { } raw && !TunnelSettingsCodec.TryDecode(raw, out settings, out error))
        {
            return error;
        }

        return peer.Check(remoteStatic, identity, peerRole);
    }

    private static ushort ReadLength(ReadOnlySpan<byte> bytes) => BinaryPrimitives.ReadUInt16BigEndian(bytes);
}
