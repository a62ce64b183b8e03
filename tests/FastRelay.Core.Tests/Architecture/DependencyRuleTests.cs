using FastRelay.Configuration;

namespace FastRelay.Core.Tests.Architecture;

/// <summary>The H2 rule of STYLE.md: Core is pure (no sockets), checked on the built assembly.</summary>
public sealed class DependencyRuleTests
{
    [Fact]
    public void Core_DoesNotReferenceSockets()
    {
        var references = typeof(EdgeOptions).Assembly.GetReferencedAssemblies().Select(a => a.Name);
        Assert.DoesNotContain("System.Net.Sockets", references);
        Assert.DoesNotContain("FastRelay.Net", references);
    }
}
