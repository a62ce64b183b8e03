namespace FastRelay.Bench.Failover;

/// <summary>The <c>failover</c> command's settings, validated by <see cref="Cli.FailoverCommand"/>.</summary>
/// <param name="RelayExe">The fastrelay executable or fastrelay.dll (edge and both gateways).</param>
/// <param name="Sessions">Long-lived sessions held open through the run, each pinging every <paramref name="PingEvery"/>.</param>
/// <param name="NewPerSecond">New sessions started per second (connect, one exchange, close).</param>
/// <param name="KillAfter">When the first gateway is killed, from the start of the load.</param>
/// <param name="RunAfter">How long the load goes on after the kill.</param>
/// <param name="Signal">KILL (the kernel closes its sockets: FIN/RST) or STOP (silent: only missed pings tell).</param>
/// <param name="PingInterval">The tunnel's <c>--ping-interval</c> on the edge and both gateways.</param>
/// <param name="PingEvery">How often each long-lived session sends its 16 bytes.</param>
/// <param name="Target">The failover target the pass line is judged against.</param>
/// <param name="JsonPath">Where to write the JSON report; null for none.</param>
/// <param name="RelayArgs">Extra edge flags.</param>
internal sealed record FailoverOptions(
    string RelayExe,
    int Sessions,
    int NewPerSecond,
    TimeSpan KillAfter,
    TimeSpan RunAfter,
    KillSignal Signal,
    TimeSpan PingInterval,
    TimeSpan PingEvery,
    TimeSpan Target,
    string? JsonPath,
    IReadOnlyList<string> RelayArgs);

/// <summary>How the gateway dies.</summary>
internal enum KillSignal
{
    /// <summary>SIGKILL: the process is gone, the kernel closes its sockets (FIN, or RST with unread data).</summary>
    Kill,

    /// <summary>SIGSTOP: the process hangs with its sockets open (no FIN): only the tunnel's missed pings detect it.</summary>
    Stop,
}
