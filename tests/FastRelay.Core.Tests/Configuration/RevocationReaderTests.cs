using FastRelay.Configuration;

namespace FastRelay.Core.Tests.Configuration;

/// <summary><c>--revocation</c>, <c>--crl</c> and <c>--ocsp-timeout</c>: defaults, values and every error named.</summary>
public sealed class RevocationReaderTests
{
    private static RawSetting Flag(string name, string value) => new(name, value, "--" + name);

    private static (RevocationOptions Options, List<ConfigError> Errors) Read(params RawSetting[] settings)
    {
        var errors = new List<ConfigError>();
        var options = RevocationReader.Revocation(settings, new ScalarReader(settings, errors), errors);
        return (options, errors);
    }

    [Fact]
    public void Defaults_SoftFailNoCrlsOcspThreeSeconds()
    {
        var (options, errors) = Read();
        Assert.Empty(errors);
        Assert.Equal(RevocationMode.SoftFail, options.Mode);
        Assert.Empty(options.CrlFiles);
        Assert.Equal(TimeSpan.FromSeconds(3), options.OcspTimeout);
    }

    [Fact]
    public void Values_WithClientCa_AreRead()
    {
        var (options, errors) = Read(Flag("client-ca", "ca.pem"), Flag("revocation", "Hard-Fail"), Flag("crl", "a.crl"), Flag("crl", "b.crl"), Flag("ocsp-timeout", "0"));
        Assert.Empty(errors);
        Assert.Equal(RevocationMode.HardFail, options.Mode);
        Assert.Equal(["a.crl", "b.crl"], options.CrlFiles);
        Assert.Equal(TimeSpan.Zero, options.OcspTimeout);
    }

    [Fact]
    public void BadValues_EachNamed()
    {
        var (_, errors) = Read(Flag("client-ca", "ca.pem"), Flag("revocation", "strict"), Flag("crl", "a.crl"), Flag("crl", "a.crl"), Flag("ocsp-timeout", "soon"));
        var lines = errors.Select(e => e.ToString()).ToList();
        Assert.Contains("--revocation 'strict': expected off, soft-fail or hard-fail", lines);
        Assert.Contains("--crl 'a.crl': this file is already listed; give each CRL once", lines);
        Assert.Contains(lines, l => l.StartsWith("--ocsp-timeout 'soon': expected", StringComparison.Ordinal));
    }

    [Fact]
    public void WithoutClientCa_EveryRevocationFlagIsAnError()
    {
        var (_, errors) = Read(Flag("crl", "a.crl"), Flag("revocation", "hard-fail"));
        Assert.Equal(2, errors.Count);
        Assert.All(errors, e => Assert.Contains("only means something with client certificates; add --client-ca FILE", e.ToString(), StringComparison.Ordinal));
    }

    [Fact]
    public void HardFailWithNoCrlAndNoOcsp_IsAnError()
    {
        var (_, errors) = Read(Flag("client-ca", "ca.pem"), Flag("revocation", "hard-fail"), Flag("ocsp-timeout", "0"));
        Assert.Contains("needs a source of status", Assert.Single(errors).ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void OffWithCrl_IsAnError()
    {
        var (_, errors) = Read(Flag("client-ca", "ca.pem"), Flag("revocation", "off"), Flag("crl", "a.crl"));
        Assert.Contains("--revocation off turns every check off", Assert.Single(errors).ToString(), StringComparison.Ordinal);
    }
}
