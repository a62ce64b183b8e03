namespace FastRelay.Tunnel.Noise;

/// <summary>
/// A Noise handshake pattern (spec §7): pre-messages and message tokens. The tunnel uses only
/// <see cref="XX"/> (epoch 0) and <see cref="KK"/> (rekeys); the others exist so the shared vector files check
/// more of the core (they cost a line each).
/// </summary>
internal sealed class HandshakePattern
{
    private static readonly NoiseToken[] None = [];

    private HandshakePattern(string name, NoiseToken[] initiatorPre, NoiseToken[] responderPre, params NoiseToken[][] messages)
    {
        Name = name;
        InitiatorPreMessage = initiatorPre;
        ResponderPreMessage = responderPre;
        Messages = messages;
    }

    public static HandshakePattern NN { get; } = new("NN", None, None, [NoiseToken.E], [NoiseToken.E, NoiseToken.EE]);

    public static HandshakePattern NK { get; } = new("NK", None, [NoiseToken.S],
        [NoiseToken.E, NoiseToken.ES], [NoiseToken.E, NoiseToken.EE]);

    public static HandshakePattern KK { get; } = new("KK", [NoiseToken.S], [NoiseToken.S],
        [NoiseToken.E, NoiseToken.ES, NoiseToken.SS], [NoiseToken.E, NoiseToken.EE, NoiseToken.SE]);

    public static HandshakePattern XX { get; } = new("XX", None, None,
        [NoiseToken.E], [NoiseToken.E, NoiseToken.EE, NoiseToken.S, NoiseToken.ES], [NoiseToken.S, NoiseToken.SE]);

    public static HandshakePattern IK { get; } = new("IK", None, [NoiseToken.S],
        [NoiseToken.E, NoiseToken.ES, NoiseToken.S, NoiseToken.SS], [NoiseToken.E, NoiseToken.EE, NoiseToken.SE]);

    public static HandshakePattern IX { get; } = new("IX", None, None,
        [NoiseToken.E, NoiseToken.S], [NoiseToken.E, NoiseToken.EE, NoiseToken.SE, NoiseToken.S, NoiseToken.ES]);

    public static HandshakePattern XXpsk3 { get; } = new("XXpsk3", None, None,
        [NoiseToken.E], [NoiseToken.E, NoiseToken.EE, NoiseToken.S, NoiseToken.ES], [NoiseToken.S, NoiseToken.SE, NoiseToken.Psk]);

    public static HandshakePattern IKpsk2 { get; } = new("IKpsk2", None, [NoiseToken.S],
        [NoiseToken.E, NoiseToken.ES, NoiseToken.S, NoiseToken.SS], [NoiseToken.E, NoiseToken.EE, NoiseToken.SE, NoiseToken.Psk]);

    public static HandshakePattern KKpsk0 { get; } = new("KKpsk0", [NoiseToken.S], [NoiseToken.S],
        [NoiseToken.Psk, NoiseToken.E, NoiseToken.ES, NoiseToken.SS], [NoiseToken.E, NoiseToken.EE, NoiseToken.SE]);

    /// <summary>The pattern name as in the protocol name ("XX", "KKpsk0").</summary>
    public string Name { get; }

    public IReadOnlyList<NoiseToken> InitiatorPreMessage { get; }

    public IReadOnlyList<NoiseToken> ResponderPreMessage { get; }

    public IReadOnlyList<NoiseToken[]> Messages { get; }

    /// <summary>Whether the pattern has a psk token (then "e" also calls MixKey, spec §9.2).</summary>
    public bool HasPsk => Name.Contains("psk", StringComparison.Ordinal);

    /// <summary>The full protocol name with our fixed suite.</summary>
    public string ProtocolName => $"Noise_{Name}_25519_ChaChaPoly_SHA256";

    /// <summary>The pattern of a name, or null for one we do not implement.</summary>
    public static HandshakePattern? FromName(string name) => name switch
    {
        "NN" => NN,
        "NK" => NK,
        "KK" => KK,
        "XX" => XX,
        "IK" => IK,
        "IX" => IX,
        "XXpsk3" => XXpsk3,
        "IKpsk2" => IKpsk2,
        "KKpsk0" => KKpsk0,
        _ => null,
    };
}
