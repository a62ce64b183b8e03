namespace FastRelay.Tunnel.Identity;

/// <summary>
/// The identity each side sends inside the encrypted payload of XX msg2 (exit) and msg3 (edge)
/// (docs/PROTOCOL.md "Identity payload"). In pinned mode only <see cref="NodeName"/> and <see cref="Settings"/> are set;
/// in CA mode the certificate chain and the static-key binding are too.
/// </summary>
/// <param name="NodeName">0x01: free text for logs only; never used for a decision.</param>
/// <param name="CertificateChain">0x02: DER certificates, leaf first (empty in pinned mode).</param>
/// <param name="BindingSignature">0x04: the leaf key's signature over <see cref="StaticKeyBinding"/>.</param>
/// <param name="BindingNotAfter">0x06: unix seconds after which the binding is void.</param>
/// <param name="Settings">0x08: the nested settings TLVs, undecoded (FastRelay.Net decodes them).</param>
public sealed record IdentityPayload(
    string? NodeName,
    IReadOnlyList<byte[]> CertificateChain,
    byte[]? BindingSignature,
    ulong? BindingNotAfter,
    byte[]? Settings);
