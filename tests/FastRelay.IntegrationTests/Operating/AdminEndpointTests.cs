using System.Net;
using FastRelay.Admin;
using FastRelay.Configuration;
using FastRelay.TestKit;
using Microsoft.AspNetCore.Http;

namespace FastRelay.IntegrationTests.Operating;

/// <summary>
/// The admin endpoint in process: readiness is the AND of pluggable checks (the tunnel adds "a gateway
/// is reachable"), and POST actions from a non-loopback client are refused while --admin is loopback.
/// </summary>
public sealed class AdminEndpointTests
{
    private static readonly EdgeOptions Options = EdgeOptionsReader.Read([new("listen", "a@127.0.0.1:0", "test"), new("route", "a=127.0.0.1:9", "test")]);

    [Fact]
    public async Task Readyz_FollowsAPluggedCheck_ThatFlips()
    {
        await using var edge = TestEdge.Start("127.0.0.1:9");
        var gatewayUp = true;
        var state = NewState();
        state.Server = edge.Server;
        state.ReadinessChecks.Add(new ListenersReadinessCheck(state));
        state.ReadinessChecks.Add(new DelegateReadinessCheck("gateways", () => (gatewayUp, gatewayUp ? "1 of 1 reachable" : "0 of 1 reachable")));
        await using var admin = await AdminServer.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), state, TestLogging.Factory);
        using var http = new HttpClient();

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri($"http://{admin.EndPoint}/readyz"))).StatusCode);

        gatewayUp = false; // The only gateway died.
        var down = await http.GetAsync(new Uri($"http://{admin.EndPoint}/readyz"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
        Assert.Contains("gateways: NOT ready (0 of 1 reachable)", await down.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("\"ready\": false", await http.GetStringAsync(new Uri($"http://{admin.EndPoint}/status")), StringComparison.Ordinal);

        gatewayUp = true;
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri($"http://{admin.EndPoint}/readyz"))).StatusCode);
    }

    [Fact]
    public async Task Readyz_BeforeListenersBound_NotReady()
    {
        var state = NewState();
        state.ReadinessChecks.Add(new ListenersReadinessCheck(state));
        var context = Request("GET", "/readyz", IPAddress.Loopback);
        await new AdminEndpoints(state).HandleAsync(context);
        Assert.Equal(StatusCodes.Status503ServiceUnavailable, context.Response.StatusCode);
    }

    [Theory]
    [InlineData("127.0.0.1", "10.1.2.3", StatusCodes.Status403Forbidden, false)]
    [InlineData("127.0.0.1", "127.0.0.5", StatusCodes.Status202Accepted, true)]
    [InlineData("::1", "::1", StatusCodes.Status202Accepted, true)]
    [InlineData("0.0.0.0", "10.1.2.3", StatusCodes.Status202Accepted, true)]
    public async Task PostDrain_FromNonLoopback_RefusedUnlessAdminIsExplicitlyNonLoopback(string bound, string remote, int expected, bool drained)
    {
        var state = NewState();
        state.AdminEndPoint = new IPEndPoint(IPAddress.Parse(bound), 9901);
        var called = false;
        state.Drain = _ => called = true;
        var context = Request("POST", "/drain", IPAddress.Parse(remote));

        await new AdminEndpoints(state).HandleAsync(context);

        Assert.Equal(expected, context.Response.StatusCode);
        Assert.Equal(drained, called);
    }

    [Fact]
    public async Task Get_FromNonLoopback_Served()
    {
        var state = NewState();
        state.AdminEndPoint = new IPEndPoint(IPAddress.Loopback, 9901);
        var context = Request("GET", "/healthz", IPAddress.Parse("10.1.2.3"));
        await new AdminEndpoints(state).HandleAsync(context);
        Assert.Equal(StatusCodes.Status200OK, context.Response.StatusCode);
    }

    [Fact]
    public async Task PostReload_WhileStarting_503AndNoStepRuns()
    {
        var state = NewState();
        state.ActionsReady = false; // The listeners are not up yet: some reload steps are not wired.
        var ran = false;
        state.ReloadSteps.Add(_ => (ran = true, "ran"));
        var context = Request("POST", "/reload", IPAddress.Loopback);

        await new AdminEndpoints(state).HandleAsync(context);

        Assert.Equal(StatusCodes.Status503ServiceUnavailable, context.Response.StatusCode);
        Assert.False(ran);
    }

    private static AdminState NewState() => new() { Version = "test", Time = TimeProvider.System, StartedAt = DateTimeOffset.UtcNow, Options = Options, ActionsReady = true };

    private static DefaultHttpContext Request(string method, string path, IPAddress remote)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.Path = path;
        context.Connection.RemoteIpAddress = remote;
        context.Response.Body = new MemoryStream();
        return context;
    }
}
