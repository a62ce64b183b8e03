namespace FastRelay.Tunnel.Pool;

/// <summary>
/// The sizing of the edge's pool of tunnel connections to one gateway (<c>--keepalive</c>,
/// <c>--keepalive-timeout</c>, <c>--keepalive-requests</c>, <c>--tunnel-max-streams</c>, <c>--tunnel-prewarm</c>).
/// </summary>
/// <param name="Warm">Connections kept ready (dialled at start, redialled when one dies or drains); never reaped.</param>
/// <param name="Keepalive">Idle connections (no stream) kept at most; idle ones beyond it are closed at once.</param>
/// <param name="KeepaliveTimeout">An idle connection older than this is closed, down to <paramref name="Warm"/>.</param>
/// <param name="KeepaliveRequests">Streams one connection carries before it is drained and replaced; 0 = no limit.</param>
/// <param name="MaxStreams">Streams open at once on one connection (the peer refuses more).</param>
public sealed record PoolPolicyOptions(int Warm, int Keepalive, TimeSpan KeepaliveTimeout, long KeepaliveRequests, int MaxStreams);
