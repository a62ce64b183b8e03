using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FastRelay.Tunnel.Handshake;
using FastRelay.Tunnel.Noise;

namespace FastRelay.Fuzz;

/// <summary>
/// Drives <see cref="TunnelHandshake"/> with fuzzed bytes over loopback sockets. <c>data[0] &amp; 3</c> picks:
/// 0, the gateway (responder) reads <c>data[1..]</c> as the edge's raw bytes (preamble, lengths, msg1, msg3);
/// 1, a real Noise initiator completes msg1 and msg2 and seals <c>data[1..]</c> as msg3's identity payload, which
/// the gateway decodes and checks (CA mode: TLVs, settings, the certificate chain, the binding signature);
/// 2, the same for the edge (initiator) reading <c>data[1..]</c> as msg2's identity payload;
/// 3, the edge reads <c>data[1..]</c> as the gateway's raw answer to its msg1.
/// The fake peer's own socket errors are ignored (the real side may close early); only what the real side
/// throws counts, and a <see cref="TunnelHandshakeException"/> is its named rejection.
/// </summary>
/// <remarks>
/// Deterministic keys and a fixed clock (<see cref="Now"/>) so that committed seeds (<c>--seeds</c>: a valid
/// chain under <see cref="RootKeyPem"/> and bindings for the fixed static keys) stay valid for later runs.
/// </remarks>
internal static class HandshakeHarness
{
    /// <summary>The harness's clock: certificates and bindings in the seeds are valid at this instant.</summary>
    public static readonly DateTimeOffset Now = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>A fixed P-256 key for the fuzz CA (test-only, committed on purpose: the seeds' chains are signed by it).</summary>
    private const string RootKeyPem = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg69VXyMW36WfTt7h+
        rFehJyrgETWKRzVNby+jLILLIT6hRANCAAQDXgRbBe3krs9SeuPMKC1gnNqlGEBB
        J/Ml0IOXdufR/qG7FqF4LiqA3tYHxyX5f/ZjNmucZRGLca3ArVSY2VeK
        -----END PRIVATE KEY-----
        """;

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);
    private static readonly bool TraceEnabled = Environment.GetEnvironmentVariable("FASTRELAY_FUZZ_TRACE") == "1";
    private static readonly Lazy<State> Shared = new(() => new State());

    /// <summary>The edge's static key (fixed, so seeds carry bindings for it).</summary>
    public static KeyPair EdgeKey => Shared.Value.EdgeKey;

    /// <summary>The gateway's static key.</summary>
    public static KeyPair GatewayKey => Shared.Value.GatewayKey;

    /// <summary>The fuzz CA (self-signed each run from the fixed key; same name and key, so old seeds still chain).</summary>
    public static X509Certificate2 Root => Shared.Value.Root;

    /// <summary>Both sides' authentication: CA mode under <see cref="Root"/> with the fixed clock.</summary>
    public static TunnelAuthentication Authentication => Shared.Value.Authentication;

    public static void Run(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        var mode = data[0] & 3;
        var body = data[1..].ToArray();
        // On the pool, away from any caller's SynchronizationContext (xunit's, in the corpus replay): blocking on
        // continuations posted back to it could deadlock.
        Task.Run(() => RunAsync(mode, body)).GetAwaiter().GetResult();
    }

    private static async Task RunAsync(int mode, byte[] body)
    {
        var state = Shared.Value;
        var (client, server) = await state.ConnectAsync();
        using (client)
        using (server)
        {
            var realIsGateway = mode is 0 or 1;
            var real = realIsGateway
                ? TunnelHandshake.RespondAsync(server, state.GatewayKey, state.Authentication, new TunnelSettings(), "fuzz-gateway", Timeout, CancellationToken.None)
                : TunnelHandshake.InitiateAsync(client, state.EdgeKey, state.Authentication, new TunnelSettings(), "fuzz-edge", Timeout, CancellationToken.None);
            try
            {
                await (mode switch
                {
                    0 => SendAndCloseAsync(client, body),
                    1 => InitiateWithPayloadAsync(client, body),
                    2 => RespondWithPayloadAsync(server, body),
                    _ => ReadMsg1ThenSendAsync(server, body),
                });
            }
            catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
            {
                // The fake peer's socket: the real side may have closed or stopped reading; its outcome is what counts.
            }

            try
            {
                (await real).Keys.Dispose(); // Accepted: an input the checks let through (a valid seed, say).
                Trace(mode, "accepted");
            }
            catch (TunnelHandshakeException e)
            {
                Trace(mode, e.Message); // The named rejection, logged by the gateway or the edge.
            }
        }
    }

    /// <summary>FASTRELAY_FUZZ_TRACE=1 with <c>--replay</c> prints each input's outcome (to check that seeds reach deep).</summary>
    private static void Trace(int mode, string outcome)
    {
        if (TraceEnabled)
        {
            Console.Error.WriteLine($"handshake mode {mode}: {outcome}");
        }
    }

    private static async Task SendAndCloseAsync(Socket socket, byte[] bytes)
    {
        await socket.SendAsync(bytes, SocketFlags.None);
        socket.Shutdown(SocketShutdown.Send);
    }

    private static async Task ReadMsg1ThenSendAsync(Socket server, byte[] bytes)
    {
        await ReadExactlyAsync(server, new byte[TunnelPreamble.Size + 2 + TunnelHandshake.Msg1Size]);
        await SendAndCloseAsync(server, bytes);
    }

    /// <summary>A real initiator: preamble and msg1, reads msg2, then seals <paramref name="payload"/> as msg3.</summary>
    private static async Task InitiateWithPayloadAsync(Socket client, byte[] payload)
    {
        var preamble = new byte[TunnelPreamble.Size];
        TunnelPreamble.Write(preamble);
        using var noise = HandshakeState.Create(HandshakePattern.XX, true, TunnelPreamble.Prologue(preamble), Shared.Value.EdgeKey, [], X25519Dh.Instance);
        var buffer = new byte[2 + TunnelHandshake.MaxMessageSize];
        preamble.CopyTo(buffer, 0);
        BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(TunnelPreamble.Size), TunnelHandshake.Msg1Size);
        _ = noise.TryWriteMessage([], buffer.AsSpan(TunnelPreamble.Size + 2, TunnelHandshake.Msg1Size), out _);
        await client.SendAsync(buffer.AsMemory(0, TunnelPreamble.Size + 2 + TunnelHandshake.Msg1Size), SocketFlags.None);

        await ReadExactlyAsync(client, buffer.AsMemory(0, 2));
        var length = BinaryPrimitives.ReadUInt16BigEndian(buffer);
        var msg2 = buffer.AsMemory(2, length);
        await ReadExactlyAsync(client, msg2);
        if (!noise.TryReadMessage(msg2.Span, new byte[length], out _))
        {
            throw new InvalidOperationException("the fuzz harness could not read the gateway's msg2");
        }

        await SendMessageAsync(client, noise, payload);
        client.Shutdown(SocketShutdown.Send);
    }

    /// <summary>A real responder: reads the preamble and msg1, then seals <paramref name="payload"/> as msg2.</summary>
    private static async Task RespondWithPayloadAsync(Socket server, byte[] payload)
    {
        var first = new byte[TunnelPreamble.Size + 2 + TunnelHandshake.Msg1Size];
        await ReadExactlyAsync(server, first);
        using var noise = HandshakeState.Create(HandshakePattern.XX, false, TunnelPreamble.Prologue(first.AsSpan(0, TunnelPreamble.Size)), Shared.Value.GatewayKey, [],
            X25519Dh.Instance);
        if (!noise.TryReadMessage(first.AsSpan(TunnelPreamble.Size + 2), [], out _))
        {
            throw new InvalidOperationException("the fuzz harness could not read the edge's msg1");
        }

        await SendMessageAsync(server, noise, payload);
    }

    private static async Task SendMessageAsync(Socket socket, HandshakeState noise, byte[] payload)
    {
        // The largest payload that fits a message: the rest of the input is dropped (the length limits are mode 0's and 3's).
        var fitting = payload.AsSpan(0, Math.Min(payload.Length, TunnelHandshake.MaxMessageSize - 48 - 16 - 32));
        var buffer = new byte[2 + TunnelHandshake.MaxMessageSize];
        if (!noise.TryWriteMessage(fitting, buffer.AsSpan(2), out var written))
        {
            throw new InvalidOperationException("the fuzz harness could not write its message");
        }

        BinaryPrimitives.WriteUInt16BigEndian(buffer, (ushort)written);
        await socket.SendAsync(buffer.AsMemory(0, 2 + written), SocketFlags.None);
    }

    private static async Task ReadExactlyAsync(Socket socket, Memory<byte> buffer)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var total = 0;
        while (total < buffer.Length)
        {
            var read = await socket.ReceiveAsync(buffer[total..], SocketFlags.None, timeout.Token);
            if (read == 0)
            {
                throw new IOException("the real side closed");
            }

            total += read;
        }
    }

    /// <summary>Keys, CA and the listener, made once per process (AFL++ runs many inputs in one process).</summary>
    /// <remarks>Lives as long as the process (CA1001: the listener is closed by the process exit).</remarks>
#pragma warning disable CA1001
    private sealed class State
#pragma warning restore CA1001
    {
        private readonly Socket _listener;

        public State()
        {
            EdgeKey = X25519Dh.Instance.DeriveKeyPair(SHA256.HashData("fastrelay-fuzz edge static key"u8));
            GatewayKey = X25519Dh.Instance.DeriveKeyPair(SHA256.HashData("fastrelay-fuzz gateway static key"u8));
            using var key = ECDsa.Create();
            key.ImportFromPem(RootKeyPem);
            var request = new CertificateRequest("CN=FastRelay Fuzz CA", key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            Root = request.CreateSelfSigned(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2036, 1, 1, 0, 0, 0, TimeSpan.Zero));
            Authentication = TunnelAuthentication.CertificateAuthority([Root], null, new FixedClock(Now));
            _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _listener.Listen(16);
        }

        public KeyPair EdgeKey { get; }

        public KeyPair GatewayKey { get; }

        public X509Certificate2 Root { get; }

        public TunnelAuthentication Authentication { get; }

        public async Task<(Socket Client, Socket Server)> ConnectAsync()
        {
            var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            var accept = _listener.AcceptAsync();
            await client.ConnectAsync(_listener.LocalEndPoint!);
            var server = await accept;
            server.NoDelay = true;
            return (client, server);
        }
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
