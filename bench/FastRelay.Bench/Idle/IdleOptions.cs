namespace FastRelay.Bench.Idle;

/// <summary>The settings of one <c>fastrelay-bench idle</c> run.</summary>
/// <param name="RelayExe">The fastrelay executable or dll.</param>
/// <param name="Connections">Idle connections to open.</param>
/// <param name="Tls">Mutual TLS on the relay's listener.</param>
/// <param name="Settle">Wait after the last connection opened, before the measurement.</param>
/// <param name="RelayArgs">Extra relay arguments.</param>
/// <param name="Tunnel">Route through a <c>fastrelay gateway</c> process: each connection holds a tunnel stream.</param>
/// <param name="GatewayArgs">Extra gateway arguments (with <paramref name="Tunnel"/>).</param>
internal sealed record IdleOptions(string RelayExe, int Connections, bool Tls, TimeSpan Settle, IReadOnlyList<string> RelayArgs,
    bool Tunnel = false, IReadOnlyList<string>? GatewayArgs = null);
