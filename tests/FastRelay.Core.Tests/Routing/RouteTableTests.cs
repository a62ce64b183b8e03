using FastRelay.Configuration;
using FastRelay.Routing;

namespace FastRelay.Core.Tests.Routing;

public sealed class RouteTableTests
{
    [Fact]
    public void TryReplace_NewWeights_InstallsThemAndKeepsUnchangedRoutes()
    {
        var crm = new RouteOptions("crm", [new("10.0.0.5", 443, 4), new("10.0.0.6", 443, 1)]);
        var db = new RouteOptions("db", [new("10.0.0.7", 5432, 1)]);
        var table = new RouteTable([crm, db]);

        var changed = table.TryReplace([new RouteOptions("crm", [new("10.0.0.5", 443, 1), new("10.0.0.6", 443, 1)]), new RouteOptions("db", [new("10.0.0.7", 5432, 1)])], out _);

        Assert.Equal(["crm"], changed);
        Assert.Equal([1, 1], table["crm"].Targets.Select(t => t.Weight));
        Assert.Same(db, table["db"]); // Same instance: the picker's cache of it stays warm.
        Assert.Equal(2, table.Version);
    }

    [Fact]
    public void TryReplace_Unchanged_ChangesNothing()
    {
        var table = new RouteTable([new RouteOptions("crm", [new("10.0.0.5", 443, 4)])]);
        Assert.Empty(table.TryReplace([new RouteOptions("crm", [new("10.0.0.5", 443, 4)])], out _)!);
        Assert.Equal(1, table.Version);
    }

    [Fact]
    public void TryReplace_ServiceAdded_IsRefusedAndTheOldRoutesStay()
    {
        var crm = new RouteOptions("crm", [new("10.0.0.5", 443, 4)]);
        var table = new RouteTable([crm]);
        Assert.Null(table.TryReplace([crm, new RouteOptions("db", [new("10.0.0.7", 5432, 1)])], out var error));
        Assert.Contains("added db", error, StringComparison.Ordinal);
        Assert.False(table.TryGet("db", out _));
    }
}
