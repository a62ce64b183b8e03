using FastRelay.Configuration;
using FastRelay.RateLimiting;

namespace FastRelay.Core.Tests.Configuration;

/// <summary>The TLS flags: what they read into, and every inconsistent combination named (exit 2 in the exe).</summary>
public sealed class TlsReaderTests
{
    private static RawSetting Flag(string name, string value) => new(name, value, "--" + name);

    private static readonly RawSetting[] Base = [Flag("listen", "crm@127.0.0.1:8443"), Flag("route", "crm=10.0.0.5:443")];

    [Fact]
    public void Read_FullTlsFlags_AreRead_WithDefaults()
    {
        var options = EdgeOptionsReader.Read([.. Base, Flag("tls-cert", "edge.pem"), Flag("tls-key", "edge.key"), Flag("client-ca", "ca.pem"),
            Flag("allow-cn", "desk-*"), Flag("allow-cn", "ops-*"), Flag("allow-san", "URI:spiffe://corp/*"), Flag("conn-rate", "10/s"), Flag("rate-key", "identity")]);

        var tls = options.Tls!;
        Assert.Equal("edge.pem", tls.CertificateFile);
        Assert.Equal("ca.pem", tls.ClientCaFile);
        Assert.Equal(TimeSpan.FromSeconds(10), tls.HandshakeTimeout);
        Assert.Equal(OcspStapling.Auto, tls.OcspStaple);
        Assert.Equal(["desk-*", "ops-*"], tls.AllowedCommonNames);
        Assert.Equal(["URI:spiffe://corp/*"], tls.AllowedSans);
        Assert.Equal(RateKey.Identity, options.ConnectionRate!.Key);
    }

    [Fact]
    public void Read_WithoutTls_HasNoTlsOptions() => Assert.Null(EdgeOptionsReader.Read(Base).Tls);

    public static TheoryData<string, RawSetting[], string> BadCombinations => new()
    {
        { "key without cert", [Flag("tls-key", "k")], "--tls-key 'k': needs --tls-cert FILE too" },
        { "cert without key", [Flag("tls-cert", "c")], "--tls-cert 'c': needs --tls-key FILE too" },
        { "client-ca without tls", [Flag("client-ca", "ca")], "--client-ca 'ca': only means something with TLS" },
        { "allow-cn without client-ca", [Flag("tls-cert", "c"), Flag("tls-key", "k"), Flag("allow-cn", "x")], "--allow-cn 'x': checks client certificates, which are only asked for with --client-ca FILE" },
        { "empty staple", [Flag("tls-cert", "c"), Flag("tls-key", "k"), Flag("ocsp-staple", "")], "--ocsp-staple '': expected auto, off or the path of a DER OCSP response file" },
        { "bad timeout", [Flag("tls-cert", "c"), Flag("tls-key", "k"), Flag("tls-handshake-timeout", "0")], "--tls-handshake-timeout '0': expected a duration" },
        { "empty san", [Flag("tls-cert", "c"), Flag("tls-key", "k"), Flag("client-ca", "ca"), Flag("allow-san", "DNS:")], "--allow-san 'DNS:': expected a SAN pattern" },
        { "identity key without client-ca", [Flag("tls-cert", "c"), Flag("tls-key", "k"), Flag("conn-rate", "1/s"), Flag("rate-key", "identity")], "--rate-key 'identity': needs client certificates" },
        { "bad timeout without tls, orphan", [Flag("tls-handshake-timeout", "0")], "--tls-handshake-timeout '0': only means something with TLS" },
        { "bad timeout without tls, value", [Flag("tls-handshake-timeout", "0")], "--tls-handshake-timeout '0': expected a duration" },
        { "empty san without tls, value", [Flag("allow-san", "DNS:")], "--allow-san 'DNS:': expected a SAN pattern" },
        { "cert twice", [Flag("tls-cert", "c"), Flag("tls-cert", "d"), Flag("tls-key", "k")], "--tls-cert 'd': given more than once" },
    };

    [Theory]
    [MemberData(nameof(BadCombinations))]
    public void Read_BadCombination_IsNamed(string label, RawSetting[] flags, string expected)
    {
        var ex = Assert.Throws<ConfigException>(() => EdgeOptionsReader.Read([.. Base, .. flags]));
        Assert.True(ex.Errors.Any(e => e.ToString().StartsWith(expected, StringComparison.Ordinal)), $"{label}: {string.Join(" | ", ex.Errors)}");
    }

    [Fact]
    public void Read_ListenWithoutService_SeveralRoutes_IsSniOnly_WithTls_ButAnErrorWithout()
    {
        RawSetting[] flags = [Flag("listen", "127.0.0.1:8443"), Flag("route", "crm=10.0.0.5:443"), Flag("route", "tickets=10.0.0.6:80")];
        var options = EdgeOptionsReader.Read([.. flags, Flag("tls-cert", "c"), Flag("tls-key", "k")]);
        Assert.Equal("", Assert.Single(options.Listeners).Service);

        var ex = Assert.Throws<ConfigException>(() => EdgeOptionsReader.Read(flags));
        Assert.Contains(ex.Errors, e => e.Expected.Contains("with TLS, the SNI name may pick one instead", StringComparison.Ordinal));
    }
}
