using System.Net;
using FastRelay.Configuration;
using FastRelay.Observing;
using FastRelay.Relaying;
using FastRelay.Upstreams;
using Microsoft.Extensions.Logging;
using Xunit;

namespace FastRelay.TestKit;

/// <summary>
/// An in-process edge on 127.0.0.1 port 0 for tests. Disposing stops it and checks that no connection
/// was left open (the leak check of wireguard-go's tests).
/// </summary>
public sealed class TestEdge : IAsyncDisposable
{
    private TestEdge(EdgeServer server) => Server = server;

    /// <summary>The running edge.</summary>
    public EdgeServer Server { get; }

    /// <summary>The first listener's address.</summary>
    public IPEndPoint EndPoint => Server.EndPoints[0];

    /// <summary>
    /// Starts an edge with one route, <c>svc</c>, to <paramref name="targets"/>, plus any extra flags
    /// (<c>("idle-timeout", "300ms")</c>).
    /// </summary>
    public static TestEdge Start(string targets, IUpstreamDialer? dialer = null, TimeProvider? time = null, params (string Name, string Value)[] flags) =>
        StartWithPolicy(targets, null, dialer, time, flags);

    /// <summary>As <see cref="Start"/>, filtering by the policy in <paramref name="policyJson"/> (policy-format.md).</summary>
    public static TestEdge StartWithPolicy(string targets, string? policyJson, IUpstreamDialer? dialer = null, TimeProvider? time = null, params (string Name, string Value)[] flags) =>
        StartObserved(targets, policyJson, observer: null, dialer, time, flags);

    /// <summary>As <see cref="StartWithPolicy"/>, telling <paramref name="observer"/> of every decision (audit, metrics).</summary>
    internal static TestEdge StartObserved(string targets, string? policyJson, IConnectionObserver? observer, IUpstreamDialer? dialer = null,
        TimeProvider? time = null, params (string Name, string Value)[] flags)
    {
        var settings = new List<RawSetting>
        {
            new("listen", "svc@127.0.0.1:0", "test"),
            new("route", "svc=" + targets, "test"),
        };
        settings.AddRange(flags.Select(f => new RawSetting(f.Name, f.Value, "test")));
        var options = EdgeOptionsReader.Read(settings);
        var policy = policyJson is null ? null : FastRelay.Filtering.PolicyLoader.Load(policyJson);
        return new TestEdge(EdgeServer.Start(options, TestLogging.Factory, time ?? TimeProvider.System, dialer, policy, observer));
    }

    /// <summary>
    /// Starts an edge from raw flags only (<c>("listen", "svc@127.0.0.1:0")</c>, <c>("route", …)</c>, <c>("tls-cert", …)</c>),
    /// with an optional policy and observer.
    /// </summary>
    internal static TestEdge StartWithFlags(IEnumerable<(string Name, string Value)> flags, string? policyJson = null, IConnectionObserver? observer = null,
        IUpstreamDialer? dialer = null, TimeProvider? time = null, FastRelay.Tls.IRevocationChecker? revocation = null)
    {
        var options = EdgeOptionsReader.Read([.. flags.Select(f => new RawSetting(f.Name, f.Value, "test"))]);
        var policy = policyJson is null ? null : FastRelay.Filtering.PolicyLoader.Load(policyJson);
        var tls = revocation is null || options.Tls is null ? null : FastRelay.Tls.TlsMaterialStore.Load(options.Tls, time ?? TimeProvider.System, revocation);
        return new TestEdge(EdgeServer.Start(options, TestLogging.Factory, time ?? TimeProvider.System, dialer, policy, observer, tls));
    }

    /// <summary>
    /// A TLS edge on 127.0.0.1:0 with <paramref name="pki"/>'s server certificate, one route <c>svc</c> to
    /// <paramref name="targets"/>, client certificates required unless <paramref name="clientCa"/> is false, plus extra flags.
    /// </summary>
    internal static TestEdge StartTls(TestCertificates pki, string targets, bool clientCa = true, string? policyJson = null, IConnectionObserver? observer = null,
        FastRelay.Tls.IRevocationChecker? revocation = null, params (string Name, string Value)[] flags)
    {
        List<(string, string)> all = [("listen", "svc@127.0.0.1:0"), ("route", "svc=" + targets), ("tls-cert", pki.ServerCertFile), ("tls-key", pki.ServerKeyFile), ("ocsp-staple", "off")];
        if (clientCa)
        {
            all.Add(("client-ca", pki.CaFile));
        }

        return StartWithFlags([.. all, .. flags], policyJson, observer, revocation: revocation);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await Server.StopAsync(TimeSpan.FromSeconds(5)).WithTimeout();
        Assert.Equal(0, Server.ActiveConnections);
    }
}

/// <summary>Logging for tests: warnings and above to the console (xunit shows it on failure).</summary>
public static class TestLogging
{
    /// <summary>A shared factory.</summary>
    /// <remarks>Set FASTRELAY_TEST_LOG_LEVEL=debug to see every connection's close line.</remarks>
    public static readonly ILoggerFactory Factory = LoggerFactory.Create(b => b
        .SetMinimumLevel(Enum.TryParse<LogLevel>(Environment.GetEnvironmentVariable("FASTRELAY_TEST_LOG_LEVEL"), true, out var level) ? level : LogLevel.Warning)
        .AddSimpleConsole(o => o.SingleLine = true));
}
