using System.Text.Json;
using System.Text.Json.Serialization;

namespace FastRelay.Pki;

/// <summary>
/// What <c>ca init</c> decided and <c>ca issue</c> must repeat, kept in DIR/ca.json: the key type, and the
/// OCSP and CRL URLs written into every issued certificate (AIA, RFC 5280 4.2.2.1; CDP, 4.2.1.13).
/// </summary>
internal sealed record CaSettings
{
    /// <summary>The CA's own key type; issued certificates use it too unless told otherwise.</summary>
    public CaKeyType KeyType { get; init; } = CaKeyType.Ecdsa;

    /// <summary>The OCSP responder URL put in issued certificates' AIA extension; null for none.</summary>
    public string? OcspUrl { get; init; }

    /// <summary>The CRL URL put in issued certificates' CRL distribution points; null for none.</summary>
    public string? CrlUrl { get; init; }

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    /// <summary>Reads DIR/ca.json; throws <see cref="PkiException"/> naming the file when it is bad.</summary>
    public static CaSettings Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<CaSettings>(CaFiles.Read(path, 1 << 20, "JSON"), Json)
                ?? throw new PkiException($"{path}: empty; expected the JSON written by 'fastrelay ca init'");
        }
        catch (JsonException ex)
        {
            throw new PkiException($"{path}: not the JSON 'fastrelay ca init' writes ({ex.Message})", ex);
        }
    }

    /// <summary>Writes DIR/ca.json.</summary>
    public void Write(string path) => CaFiles.WritePublicText(path, JsonSerializer.Serialize(this, Json) + "\n");
}
