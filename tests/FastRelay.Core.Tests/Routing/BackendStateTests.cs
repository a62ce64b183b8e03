using FastRelay.Configuration;
using FastRelay.Routing;
using Microsoft.Extensions.Time.Testing;

namespace FastRelay.Core.Tests.Routing;

public sealed class BackendStateTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void DialFailed_EjectAfterInARow_Ejects()
    {
        var backend = Backend(new BalancingOptions { EjectAfter = 3 });
        Fail(backend, 2);
        Assert.False(backend.IsEjected);
        Fail(backend, 1);
        Assert.True(backend.IsEjected);
        Assert.Equal(1, backend.Ejections);
        Assert.Equal(0, backend.Outstanding);
    }

    [Fact]
    public void DialSucceeded_BetweenFailures_StartsTheCountAgain()
    {
        var backend = Backend(new BalancingOptions { EjectAfter = 3 });
        Fail(backend, 2);
        backend.DialStarted();
        backend.DialSucceeded(TimeSpan.FromMilliseconds(1));
        backend.SessionEnded();
        Fail(backend, 2);
        Assert.False(backend.IsEjected);
    }

    [Fact]
    public void DialFailed_EjectAfterZero_NeverEjects()
    {
        var backend = Backend(new BalancingOptions { EjectAfter = 0 });
        Fail(backend, 100);
        Assert.False(backend.IsEjected);
    }

    [Fact]
    public void Ejection_InARow_DoublesUpToFiveMinutes()
    {
        // Re-admitted after each ejection and failing again at once: 10s, 20s, 40s, ... capped at 5m.
        var backend = Backend(new BalancingOptions { EjectAfter = 1, EjectTime = TimeSpan.FromSeconds(10) });
        foreach (var seconds in new[] { 10, 20, 40, 80, 160, 300, 300 })
        {
            Fail(backend, 1);
            _time.Advance(TimeSpan.FromSeconds(seconds) - TimeSpan.FromMilliseconds(1));
            Assert.True(backend.IsEjected, $"still ejected just before {seconds}s");
            _time.Advance(TimeSpan.FromMilliseconds(1));
            Assert.False(backend.IsEjected, $"re-admitted after {seconds}s");
        }
    }

    [Fact]
    public void Readmitted_FailsOnce_IsEjectedAgainAtOnce()
    {
        var backend = Backend(new BalancingOptions { EjectAfter = 3, EjectTime = TimeSpan.FromSeconds(10) });
        Fail(backend, 3);
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.False(backend.IsEjected);
        Fail(backend, 1);
        Assert.True(backend.IsEjected);
        _time.Advance(TimeSpan.FromSeconds(19));
        Assert.True(backend.IsEjected); // Twice as long: 20s.
    }

    [Fact]
    public void Readmitted_Succeeds_NextEjectionIsBackToTheBaseTime()
    {
        var backend = Backend(new BalancingOptions { EjectAfter = 1, EjectTime = TimeSpan.FromSeconds(10) });
        Fail(backend, 1);
        _time.Advance(TimeSpan.FromSeconds(10));
        backend.DialStarted();
        backend.DialSucceeded(TimeSpan.FromMilliseconds(1));
        backend.SessionEnded();
        Fail(backend, 1);
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.False(backend.IsEjected);
    }

    [Fact]
    public void ReportCheck_FallThenRise_ChangesHealthOnceEach()
    {
        var backend = Backend(new BalancingOptions { HealthCheck = HealthCheckKind.Tcp, HealthFall = 3, HealthRise = 2 });
        Assert.True(backend.IsHealthy);
        Assert.False(backend.ReportCheck(false, "refused"));
        Assert.False(backend.ReportCheck(false, "refused"));
        Assert.True(backend.ReportCheck(false, "refused"));
        Assert.False(backend.IsHealthy);
        Assert.False(backend.ReportCheck(false, "refused"));
        Assert.False(backend.ReportCheck(true, null));
        Assert.False(backend.IsHealthy);
        Assert.True(backend.ReportCheck(true, null));
        Assert.True(backend.IsHealthy);
        Assert.False(backend.ReportCheck(true, null));
    }

    [Fact]
    public void ReportCheck_FailuresNotInARow_KeepItUp()
    {
        var backend = Backend(new BalancingOptions { HealthCheck = HealthCheckKind.Tcp, HealthFall = 2 });
        backend.ReportCheck(false, "refused");
        backend.ReportCheck(true, null);
        backend.ReportCheck(false, "refused");
        Assert.True(backend.IsHealthy);
    }

    [Fact]
    public void ConnectLatencyMsAt_FadesWhileTheBackendIsNotPicked()
    {
        var backend = Backend(new BalancingOptions());
        backend.DialStarted();
        backend.DialSucceeded(TimeSpan.FromMilliseconds(8));
        backend.SessionEnded();
        Assert.Equal(8, backend.ConnectLatencyMsAt(_time.GetTimestamp()), 6);
        _time.Advance(TimeSpan.FromSeconds(BackendState.LatencyFadeSeconds));
        Assert.Equal(8 / Math.E, backend.ConnectLatencyMsAt(_time.GetTimestamp()), 6);
    }

    [Fact]
    public void LatencyEwma_MovesByAlphaOfEachSample()
    {
        var ewma = new LatencyEwma();
        Assert.Equal(0, ewma.Milliseconds);
        ewma.Add(TimeSpan.FromMilliseconds(10));
        Assert.Equal(10, ewma.Milliseconds, 6);
        ewma.Add(TimeSpan.FromMilliseconds(20));
        Assert.Equal(13, ewma.Milliseconds, 6);
    }

    private BackendState Backend(BalancingOptions options) => new BackendRegistry(options, _time).Get(new TargetOptions("10.0.0.1", 443, 1));

    private static void Fail(BackendState backend, int times)
    {
        for (var i = 0; i < times; i++)
        {
            backend.DialStarted();
            backend.DialFailed(TimeSpan.FromSeconds(5));
        }
    }
}
