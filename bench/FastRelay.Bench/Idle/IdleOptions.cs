namespace FastRelay.Bench.Idle;

/// <summary>The settings of one <c>fastrelay-bench idle</c> run.</summary>
/// <param name="RelayExe">The fastrelay executable or dll.</param>
/// <param name="Connections">Idle connections to open.</param>
/// <param name="Tls">Mutual TLS on the relay's listener.</param>
/// <param name="Settle">Wait after the last connection opened, before the measurement.</param>
/// <param name="RelayArgs">Extra relay arguments.</param>
internal sealed record IdleOptions(string RelayExe, int Connections, bool Tls, TimeSpan Settle, IReadOnlyList<string> RelayArgs);
