namespace FastRelay.Tunnel.Noise;

/// <summary>The tokens of a Noise message pattern (spec §7).</summary>
internal enum NoiseToken
{
    E,
    S,
    EE,
    ES,
    SE,
    SS,
    Psk,
}
