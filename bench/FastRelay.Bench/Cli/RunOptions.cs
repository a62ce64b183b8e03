using System.Net;
using FastRelay.Bench.Phases;

namespace FastRelay.Bench.Cli;

/// <summary>How the harness reaches the relay under test.</summary>
internal enum RelayMode
{
    /// <summary><c>--direct-only</c>: measure the direct path alone.</summary>
    None,

    /// <summary><c>--relay-exe</c>: start the relay as a child process and kill it (by PID) at the end.</summary>
    Spawn,

    /// <summary><c>--relay-echo</c>/<c>--relay-sink</c>: use a relay that is already running.</summary>
    Existing,
}

/// <summary>The validated settings of <c>fastrelay-bench run</c>; built only by <see cref="RunOptionsBinder"/>.</summary>
internal sealed record RunOptions
{
    /// <summary>Concurrent connections in the sessions phase. Defaults to 1000 (our users' sizing).</summary>
    public required int Sessions { get; init; }

    /// <summary>Measured time of each time-bound phase, per path. Defaults to 5 s.</summary>
    public required TimeSpan Duration { get; init; }

    /// <summary>
    /// Rounds each phase is split into, run direct, relay, direct, relay, ... so both paths see the same
    /// background load. Defaults to 3.
    /// </summary>
    public required int Rounds { get; init; }

    /// <summary>Unmeasured time before each ping-pong and connect phase, in every round. Defaults to 0.5 s.</summary>
    public required TimeSpan Warmup { get; init; }

    /// <summary>
    /// <c>--tls-warmup</c>: the least warm-up of the connect phase's first round on the TLS paths (the JIT compiles the
    /// handshake path for about 8 s of handshakes here). Zero (the default): <see cref="Warmup"/>.
    /// </summary>
    public TimeSpan TlsWarmup { get; init; }

    /// <summary>
    /// The most connections a connect round's warm-up makes before it stops early; null (the default): a tenth of
    /// <see cref="ConnectCount"/>. Set only for a <see cref="TlsWarmup"/> round, where time is the bound that matters.
    /// </summary>
    public int? ConnectWarmupCount { get; init; }

    /// <summary>Bytes per ping-pong message. Defaults to 64.</summary>
    public required int MessageBytes { get; init; }

    /// <summary>Bytes each bulk stream sends. Defaults to 1 GiB.</summary>
    public required long BulkBytes { get; init; }

    /// <summary>Streams in the many-stream bulk phase. Defaults to 8.</summary>
    public required int BulkStreams { get; init; }

    /// <summary>Most connections the connect phase opens per path, warm-up included. Defaults to 20000.</summary>
    public required int ConnectCount { get; init; }

    /// <summary>Connect loops running at once in the connect phase. Defaults to 4.</summary>
    public required int ConnectConcurrency { get; init; }

    /// <summary>Longest wait for one TCP connect. Defaults to 5 s.</summary>
    public required TimeSpan ConnectTimeout { get; init; }

    /// <summary>Hard limit on one phase on one path, after which its sockets are aborted. Defaults to 60 s.</summary>
    public required TimeSpan PhaseTimeout { get; init; }

    /// <summary>Where report.json and latency-cdf.svg go. Defaults to artifacts/bench.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>The phases to run, in run order. Defaults to all of them.</summary>
    public required IReadOnlyList<PhaseKind> Phases { get; init; }

    /// <summary>Bind address of the in-process echo backend. Defaults to 127.0.0.1:0.</summary>
    public required IPEndPoint EchoBackend { get; init; }

    /// <summary>Bind address of the in-process sink backend. Defaults to 127.0.0.1:0.</summary>
    public required IPEndPoint SinkBackend { get; init; }

    /// <summary>Run the backends as child processes instead of in this process. Defaults to false.</summary>
    public bool ChildBackends { get; init; }

    /// <summary>How the relay is reached.</summary>
    public required RelayMode RelayMode { get; init; }

    /// <summary>With <see cref="RelayMode.Spawn"/>: fastrelay.dll (run with dotnet) or the apphost.</summary>
    public string? RelayExe { get; init; }

    /// <summary>With <see cref="RelayMode.Spawn"/>: extra arguments appended to the relay's command line.</summary>
    public IReadOnlyList<string> RelayArgs { get; init; } = [];

    /// <summary>With <see cref="RelayMode.Spawn"/>: environment variables set for the relay (after the harness's own are removed).</summary>
    public IReadOnlyDictionary<string, string> RelayEnvironment { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// <c>--tls</c>: also start a mutual-TLS relay (throwaway certificates) and run the bulk and connect phases
    /// through it as a third path, <c>relay-mtls</c>. Defaults to false.
    /// </summary>
    public bool Tls { get; init; }

    /// <summary>
    /// <c>--tunnel</c>: also start a gateway and an edge routing through it, and run every phase through them as the
    /// <c>relay-tunnel</c> path. Defaults to false.
    /// </summary>
    public bool Tunnel { get; init; }

    /// <summary><c>--tunnel-keepalive-requests</c>: the tunnel edge's <c>--keepalive-requests</c>. Defaults to 100 (the edge's default).</summary>
    public int TunnelKeepaliveRequests { get; init; } = 100;

    /// <summary><c>--tls-resume</c>: the mTLS client resumes TLS sessions (tickets) instead of full handshakes. Defaults to false.</summary>
    public bool TlsResume { get; init; }

    /// <summary>
    /// <c>--openssl-reference</c>: with <see cref="Tls"/>, also run the connect phase against <c>openssl s_server</c>
    /// with the same certificates and client (path <c>openssl-s_server</c>). Defaults to false.
    /// </summary>
    public bool OpenSslReference { get; init; }

    /// <summary><c>--tls-key-type</c>: the mTLS relay's server key, ECDSA P-256 (default) or RSA 2048.</summary>
    public bool TlsRsaServerKey { get; init; }

    /// <summary>With <see cref="RelayMode.Existing"/>: the relay listener that routes to the echo backend.</summary>
    public IPEndPoint? RelayEcho { get; init; }

    /// <summary>With <see cref="RelayMode.Existing"/>: the relay listener that routes to the sink backend.</summary>
    public IPEndPoint? RelaySink { get; init; }
}
