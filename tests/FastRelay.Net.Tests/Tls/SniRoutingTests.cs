using System.Net;
using System.Security.Authentication;
using FastRelay.Backends;
using FastRelay.Diagnostics;
using FastRelay.TestKit;

namespace FastRelay.Net.Tests.Tls;

/// <summary>
/// On a TLS listener the SNI name picks the route (a route whose service name equals it, any case); other
/// names, or none, go to the listener's default service, or are refused when it has none.
/// </summary>
public sealed class SniRoutingTests(PkiFixture fixture) : IClassFixture<PkiFixture>
{
    private readonly TestCertificates _pki = fixture.Pki;

    [Fact]
    public async Task KnownName_GoesToItsRoute_UnknownName_ToTheDefault()
    {
        var observer = new RecordingObserver();
        await using var crm = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        using var other = new ManualBackend();
        await using (var edge = TestEdge.StartWithFlags(Flags("crm@127.0.0.1:0", crm.EndPoint, other.Target), observer: observer))
        {
            // "tickets.corp" names the other route: the connection lands on that backend.
            await using (var tls = await TlsTestClient.ConnectAsync(edge.EndPoint, _pki, _pki.Client, "TICKETS.corp"))
            {
                using var upstream = await other.AcceptAsync();
                await tls.WriteAsync("x"u8.ToArray());
                Assert.Equal("x"u8.ToArray(), await upstream.ReceiveExactlyAsync(1));
            }

            // An unknown name and no name both go to the listener's default (the echo).
            await MutualTlsTests.AssertEchoesAsync(edge, _pki, _pki.Client, "unknown.corp");
            await MutualTlsTests.AssertEchoesAsync(edge, _pki, _pki.Client, serverName: null);
            Assert.Equal(2, crm.AcceptedConnections);
        }

        var services = observer.Events.Where(e => e.Checkpoint == Checkpoint.Handshake).Select(e => e.Service).ToList();
        Assert.Equal(["tickets.corp", "crm", "crm"], services);
    }

    [Fact]
    public async Task UnknownName_WithoutDefault_IsRefusedCleanly()
    {
        var observer = new RecordingObserver();
        await using var crm = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        using var other = new ManualBackend();
        await using (var edge = TestEdge.StartWithFlags(Flags("127.0.0.1:0", crm.EndPoint, other.Target), observer: observer))
        {
            await MutualTlsTests.AssertEchoesAsync(edge, _pki, _pki.Client, "crm");
            await Assert.ThrowsAnyAsync<Exception>(async () =>
            {
                await using var tls = await TlsTestClient.ConnectAsync(edge.EndPoint, _pki, _pki.Client, "nowhere.corp");
                if (await tls.IsClosedByServerAsync())
                {
                    throw new AuthenticationException("closed");
                }
            });
            Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.Closed[CloseReason.TlsHandshakeFailed] == 1));
        }

        var refused = Assert.Single(observer.Events, e => e.Checkpoint == Checkpoint.Handshake && !e.Allowed);
        Assert.Equal(CloseReason.TlsHandshakeFailed, refused.Reason);
        Assert.Contains("SNI name 'nowhere.corp' names no route", refused.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InternationalName_ReachesTheRouteNamedByItsAsciiForm()
    {
        // Route names are ASCII, so an internationalized name is written as its A-label (xn--…), which is what a client
        // sends; .NET hands the server the name decoded (bücher.corp), so the router must compare the A-label form.
        await using var crm = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        using var books = new ManualBackend();
        IEnumerable<(string, string)> flags =
        [
            ("listen", "crm@127.0.0.1:0"), ("route", $"crm={crm.EndPoint}"), ("route", $"xn--bcher-kva.corp={books.Target}"),
            ("tls-cert", _pki.ServerCertFile), ("tls-key", _pki.ServerKeyFile), ("client-ca", _pki.CaFile), ("ocsp-staple", "off"),
        ];
        await using var edge = TestEdge.StartWithFlags(flags);
        await using var tls = await TlsTestClient.ConnectAsync(edge.EndPoint, _pki, _pki.Client, "bücher.corp");
        using var upstream = await books.AcceptAsync();
        await tls.WriteAsync("b"u8.ToArray());
        Assert.Equal("b"u8.ToArray(), await upstream.ReceiveExactlyAsync(1));
        Assert.Equal(0, crm.AcceptedConnections);
    }

    private IEnumerable<(string, string)> Flags(string listen, IPEndPoint crm, string tickets) =>
    [
        ("listen", listen), ("route", $"crm={crm}"), ("route", $"tickets.corp={tickets}"),
        ("tls-cert", _pki.ServerCertFile), ("tls-key", _pki.ServerKeyFile), ("client-ca", _pki.CaFile), ("ocsp-staple", "off"),
    ];
}
