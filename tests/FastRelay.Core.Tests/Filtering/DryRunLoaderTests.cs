using FastRelay.Configuration;
using FastRelay.Filtering;

namespace FastRelay.Core.Tests.Filtering;

public sealed class DryRunLoaderTests
{
    [Fact]
    public void Load_DryRunOnGroupAndPolicy_IsRead()
    {
        var policy = PolicyLoader.Load("""{"dryrun": "TRUE", "SecurityGroups": [{"Name": "A", "DryRun": true, "Rules": []}, {"Name": "B", "Rules": []}]}""");
        Assert.True(policy.DryRun);
        Assert.True(policy.Groups[0].DryRun);
        Assert.False(policy.Groups[1].DryRun);
        Assert.Equal(["B"], policy.WithoutDryRunGroups().Groups.Select(g => g.Name));
    }

    [Fact]
    public void Load_DryRunNotABoolean_NamesThePath()
    {
        var error = Assert.Throws<ConfigException>(() => PolicyLoader.Load("""{"SecurityGroups": [{"Name": "A", "DryRun": "soon", "Rules": []}]}"""));
        Assert.Equal("SecurityGroups[0].DryRun 'soon': expected true or false (group 'A')", Assert.Single(error.Errors).ToString());
    }
}
