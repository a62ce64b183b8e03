using FastRelay.Filtering;

namespace FastRelay.Core.Tests.Filtering;

/// <summary>--allow-cn and --allow-san: either list admits; wildcards as in policy identities.</summary>
public sealed class CertificateAllowListTests
{
    private static readonly ClientIdentity Desk = new("desk-7", ["desk-7.corp.example"], ["spiffe://corp/desk/7"], ["10.1.2.3"]);

    [Theory]
    [InlineData(new string[0], new string[0], true)]
    [InlineData(new[] { "desk-*" }, new string[0], true)]
    [InlineData(new[] { "DESK-7" }, new string[0], true)]
    [InlineData(new[] { "kiosk-*" }, new string[0], false)]
    [InlineData(new string[0], new[] { "DNS:*.corp.example" }, true)]
    [InlineData(new string[0], new[] { "DNS:*.example" }, false)] // * stays within one label.
    [InlineData(new string[0], new[] { "URI:spiffe://corp/desk/*" }, true)]
    [InlineData(new string[0], new[] { "URI:SPIFFE://corp/desk/*" }, false)] // URIs compare exactly.
    [InlineData(new string[0], new[] { "IP:10.1.*" }, true)]
    [InlineData(new string[0], new[] { "spiffe://corp/*" }, true)] // No prefix: any kind.
    [InlineData(new[] { "kiosk-*" }, new[] { "DNS:desk-7.corp.example" }, true)] // Either list.
    public void Allows_MatchesCnOrSan(string[] commonNames, string[] sans, bool allowed) =>
        Assert.Equal(allowed, new CertificateAllowList(commonNames, sans).Allows(Desk));

    [Theory]
    [InlineData("IP:10.1.*", true)]
    [InlineData("IP:fd00::5", true)]
    [InlineData("IP:10.0.0.7", true)]
    [InlineData("IP:not-an-ip", false)] // Could never match: a typo to report at start.
    [InlineData("IP:10.1", false)]
    [InlineData("IP:", false)]
    public void SanPattern_IpEntries_MustBeAnAddressOrAWildcardOfOne(string text, bool valid) =>
        Assert.Equal(valid, SanPattern.TryParse(text, out _));

    [Fact]
    public void ToString_NamesTheFlags() =>
        Assert.Equal("--allow-cn desk-*, --allow-san URI:x", new CertificateAllowList(["desk-*"], ["URI:x"]).ToString());

    [Fact]
    public void UnknownIdentity_MatchesEveryIdentityCondition_EmptyIdentityNone()
    {
        Assert.True(ClientIdentity.Unknown.IsUnknown);
        Assert.Equal("desk-7", Desk.RateKey);
        Assert.Equal("spiffe://x", new ClientIdentity(null, ["a.corp"], ["spiffe://x"]).RateKey);
    }
}
