namespace FastRelay.Bench.Soak;

/// <summary>The settings of one <c>fastrelay-bench soak</c> run (see <see cref="SoakRun"/>).</summary>
/// <param name="RelayExe">The fastrelay executable or dll (edge and gateway).</param>
/// <param name="Duration">How long the load runs.</param>
/// <param name="Concurrency">Sessions in flight at once (one worker each).</param>
/// <param name="Pause">Each worker's pause between two sessions (keeps the rate steady and the port space sane).</param>
/// <param name="MaxPayload">Largest payload a session echoes (sizes are log-uniform from 1 byte).</param>
/// <param name="ResetPercent">Share of sessions the client aborts half-way with a TCP RST (linger 0).</param>
/// <param name="SampleInterval">How often the edge's and the gateway's memory, descriptors and threads are sampled.</param>
/// <param name="RestartGateway">Kill the gateway half-way and start it again on the same port with the same key.</param>
/// <param name="JsonPath">Where the JSON report goes.</param>
/// <param name="Seed">Seed of the random sizes and resets (the run is reproducible in what it sends, not in timing).</param>
/// <param name="Plain">Soak the plain TCP path instead (edge without TLS, a direct route: the epoll data path): no gateway.</param>
internal sealed record SoakOptions(string RelayExe, TimeSpan Duration, int Concurrency, TimeSpan Pause, int MaxPayload, int ResetPercent,
    TimeSpan SampleInterval, bool RestartGateway, string JsonPath, int Seed, bool Plain = false);
