namespace FastRelay.Fuzz;

/// <summary>
/// Every fuzz target. Adding one is one line here plus a folder of seed inputs in <c>tests/fuzz-corpus/NAME/</c>:
/// <c>tools/fuzz.sh NAME 10m</c> fuzzes it and the replay test (IntegrationTests, <c>CorpusReplayTests</c>) runs
/// its corpus in CI.
/// </summary>
public static class FuzzTargets
{
    /// <summary>The targets by name.</summary>
    public static readonly IReadOnlyList<FuzzTarget> All =
    [
        new("policy", "PolicyLoader.Load: security-group JSON (policy-format.md) -> SecurityPolicy or ConfigException", ConfigTargets.Policy),
        new("config", "--config FILE: ConfigFile.Parse + EdgeOptionsReader.Read -> EdgeOptions or the listed errors", ConfigTargets.EdgeConfig),
        new("frame", "one tunnel record's frames: RecordCodec length check, FrameReader, each frame's body (OPEN target, GOAWAY, PING, REKEY)", TunnelTargets.Frame),
        new("handshake", "TunnelHandshake over loopback: the gateway and the edge reading raw bytes or a sealed identity payload (TLVs, settings, chain, binding)", TunnelTargets.Handshake),
    ];

    /// <summary>The target named <paramref name="name"/>, or null.</summary>
    public static FuzzTarget? Find(string name) => All.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.Ordinal));
}
