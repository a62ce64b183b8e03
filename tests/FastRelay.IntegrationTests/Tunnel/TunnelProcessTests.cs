using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using FastRelay.Backends;
using FastRelay.TestKit;

namespace FastRelay.IntegrationTests.Tunnel;

/// <summary>
/// The whole path as users run it, two processes on loopback: client -> edge -> tunnel -> gateway -> backend.
/// Guards byte-exact forwarding through the tunnel, the gateway's SSRF guard (its Outbound rules), a warm pool
/// (no handshake per session), and the gateway's drain.
/// </summary>
public sealed partial class TunnelProcessTests
{
    [Fact]
    public async Task Gateway_UnderALowOpenFileLimit_LowersMaxStreamsToFit_AndSaysSo()
    {
        using var nodes = new TunnelNodes();
        using var gateway = FastRelayProcess.StartWithFileLimit(1000, "gateway", "--listen", FastRelayProcess.FreeEndPoint().ToString(), "--tunnel-key", nodes.GatewayKeyFile,
            "--edge-key", nodes.EdgePublicKey, "--allow-any-target", "--audit", "off", "--max-streams", "10000");
        Assert.True(await TestTimeouts.EventuallyAsync(() => gateway.StandardOutput.Contains("gateway running", StringComparison.Ordinal)), gateway.StandardOutput + gateway.StandardError);

        // 1000 less what is open, the headroom and the tunnels' share: a few hundred streams, never the 10000 asked.
        var capped = LoweredTo().Match(gateway.StandardOutput);
        Assert.True(capped.Success, gateway.StandardOutput);
        Assert.InRange(int.Parse(capped.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 100, 1000 - FastRelay.Hosting.FileDescriptorLimit.Headroom - 256);
        gateway.Signal("TERM");
        Assert.Equal(0, await gateway.WaitForExitAsync());
    }

    [GeneratedRegex(@"--max-streams 10000 needs about \d+ file descriptors .* but the limit is 1000; serving at most (\d+) streams")]
    private static partial Regex LoweredTo();

    [Fact]
    public async Task FullPath_EdgeThroughGateway_IsByteExact_AndNewSessionsCostNoHandshake()
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        using var nodes = new TunnelNodes();
        var (gateway, gatewayEndPoint) = await nodes.StartGatewayAsync("--allow-any-target");
        using var gatewayProcess = gateway;
        var (edge, listen) = await nodes.StartEdgeAsync($"tunnel:{echo.EndPoint}", gatewayEndPoint);
        using var edgeProcess = edge;
        var admin = await edge.AdminEndPointAsync();
        using var http = new HttpClient();
        Assert.True(await TestTimeouts.EventuallyAsync(() => Handshakes(http, admin) == 2), "the pool did not pre-warm 2 connections");

        // 4 MiB through one session, every byte checked.
        var payload = RandomNumberGenerator.GetBytes(4 << 20);
        using (var client = await SocketTestExtensions.ConnectAsync(listen))
        {
            var reading = client.ReceiveExactlyAsync(payload.Length);
            await client.SendAsync(payload, SocketFlags.None);
            Assert.Equal(payload, await reading.WithTimeout());
        }

        // 30 more sessions: the warm pool carries them all, no new handshake.
        for (var i = 0; i < 30; i++)
        {
            using var client = await SocketTestExtensions.ConnectAsync(listen);
            await client.SendAsync(new[] { (byte)i }, SocketFlags.None);
            Assert.Equal(i, (await client.ReceiveExactlyAsync(1).WithTimeout())[0]);
        }

        Assert.Equal(2, Handshakes(http, admin));
        var status = await http.GetStringAsync($"http://{admin}/status");
        Assert.Contains($"\"address\": \"{gatewayEndPoint}\"", status, StringComparison.Ordinal);
        Assert.Contains("gateways: ready (1 of 1 reachable)", await http.GetStringAsync($"http://{admin}/readyz"), StringComparison.Ordinal);

        // The gateway's /status: its listener, and its connections (tunnel streams) as its metrics count them.
        var gatewayAdmin = await gateway.AdminEndPointAsync();
        long closed = 0;
        Assert.True(await TestTimeouts.EventuallyAsync(async () =>
        {
            using var document = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync($"http://{gatewayAdmin}/status"));
            var listener = Assert.Single(document.RootElement.GetProperty("listeners").EnumerateArray());
            Assert.Equal("tunnel", listener.GetProperty("service").GetString());
            Assert.Equal(gatewayEndPoint.ToString(), listener.GetProperty("address").GetString());
            closed = document.RootElement.GetProperty("connections").GetProperty("closed").GetInt64();
            return closed >= 31 && document.RootElement.GetProperty("connections").GetProperty("active").GetInt64() == 0;
        }), $"closed {closed}");
        Assert.Contains("2 tunnel connections from 1 edge", await http.GetStringAsync($"http://{gatewayAdmin}/readyz"), StringComparison.Ordinal); // The pool's two, one edge.

        // The edge leaves: GOAWAY to the gateway, whose answer closes both tunnel connections before the edge says it stopped.
        edge.Signal("TERM");
        Assert.Equal(0, await edge.WaitForExitAsync());
        var log = edge.StandardOutput;
        var stopped = log.IndexOf("Stopped;", StringComparison.Ordinal);
        Assert.True(stopped > 0, log);
        Assert.Equal(2, TunnelClosedLine().Count(log[..stopped]));
        Assert.DoesNotMatch(TunnelClosedLine(), log[stopped..]);
    }

    [GeneratedRegex(@"Tunnel \S+ \(vm\) closed: GOAWAY sent")]
    private static partial Regex TunnelClosedLine();

    [Fact]
    public async Task Readyz_FlipsWhenTheOnlyGatewayDies_AndBackWhenItReturns()
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        using var nodes = new TunnelNodes();
        var (gateway, gatewayEndPoint) = await nodes.StartGatewayAsync("--allow-any-target");
        var (edge, _) = await nodes.StartEdgeAsync($"tunnel:{echo.EndPoint}", gatewayEndPoint);
        using var edgeProcess = edge;
        var admin = await edge.AdminEndPointAsync();
        using var http = new HttpClient();
        Assert.True(await TestTimeouts.EventuallyAsync(async () => (await http.GetAsync($"http://{admin}/readyz")).StatusCode == HttpStatusCode.OK));

        // The only gateway dies without a word (SIGKILL: no GOAWAY): the edge is no longer ready.
        using (gateway)
        {
            gateway.Signal("KILL");
            Assert.NotEqual(0, await gateway.WaitForExitAsync());
        }

        Assert.True(await TestTimeouts.EventuallyAsync(async () => (await http.GetAsync($"http://{admin}/readyz")).StatusCode == HttpStatusCode.ServiceUnavailable));
        Assert.Contains("gateways: NOT ready (0 of 1 reachable)", await (await http.GetAsync($"http://{admin}/readyz")).Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // A gateway on the same address again: the pool redials (backing off at most 10 s) and the edge is ready.
        var (restarted, _) = await nodes.StartGatewayOnAsync(gatewayEndPoint, "--allow-any-target");
        using var restartedProcess = restarted;
        Assert.True(await TestTimeouts.EventuallyAsync(async () => (await http.GetAsync($"http://{admin}/readyz")).StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task Gateway_TargetOutsideItsOutboundRules_ClosesTheClient_AndRecordsWhy()
    {
        await using var allowed = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var forbidden = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        using var nodes = new TunnelNodes();
        var policy = Path.Combine(nodes.Directory, "exit.json");
        await File.WriteAllTextAsync(policy, $$"""
            {"SecurityGroups": [{"Name": "Exit", "Rules": [{"Protocol": "TCP", "PortRange": "{{allowed.EndPoint.Port}}", "DestinationIP": "127.0.0.1/32", "Action": "Allow"}]}]}
            """);
        var (gateway, gatewayEndPoint) = await nodes.StartGatewayAsync("--policy", policy, "--log-level", "debug");
        using var gatewayProcess = gateway;
        var (edge, listen) = await nodes.StartEdgeAsync($"tunnel:{forbidden.EndPoint}", gatewayEndPoint, "--log-level", "debug");
        using var edgeProcess = edge;

        using var client = await SocketTestExtensions.ConnectAsync(listen);
        Assert.True(await client.IsClosedByPeerAsync(TimeSpan.FromSeconds(10)));

        Assert.Equal(0, forbidden.AcceptedConnections);
        Assert.True(await TestTimeouts.EventuallyAsync(() => gateway.StandardOutput.Contains("FORBIDDEN_TARGET", StringComparison.Ordinal)));
        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.StandardOutput.Contains("FilterDenied at the gateway", StringComparison.Ordinal)));
        var audit = Path.Combine(nodes.Directory, "gateway-audit.jsonl");
        Assert.True(await TestTimeouts.EventuallyAsync(() => File.Exists(audit) && File.ReadAllText(audit).Contains("\"close_reason\":\"FilterDenied\"", StringComparison.Ordinal)));
        Assert.Contains("ForbiddenTarget", await File.ReadAllTextAsync(audit), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EdgeKilled_WhileItsStreamsTargetStoppedReading_TheGatewayClosesTheStream_AndFreesItsSlot()
    {
        // The edge dies mid-upload (SIGKILL: no GOAWAY, no RST per stream) to a target that reads nothing. The gateway's
        // relay is parked on the target, never on the stream; the tunnel's end must still close it, or its socket and
        // its --max-streams slot are held for good.
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        using var target = SocketTestExtensions.ListenForAPeerThatDoesNotRead(8);
        using var nodes = new TunnelNodes();
        var (gateway, gatewayEndPoint) = await nodes.StartGatewayAsync("--allow-any-target", "--max-streams", "2");
        using var gatewayProcess = gateway;
        var gatewayAdmin = await gateway.AdminEndPointAsync();
        using var http = new HttpClient();
        var uploader = AcceptUploaderAsync(target);
        Socket? accepted = null;
        var (edge, listen) = await nodes.StartEdgeAsync($"tunnel:{target.LocalEndPoint}", gatewayEndPoint);
        using (edge)
        {
            using var client = await SocketTestExtensions.ConnectAsync(listen);
            var chunk = new byte[64 * 1024];
            var uploading = Task.Run(async () =>
            {
                for (var i = 0; i < 8192; i++)
                {
                    await client.SendAsync(chunk, SocketFlags.None);
                }
            });
            accepted = await uploader.WithTimeout(); // Never read; open until the end (closing it would end the stream).
            await Task.Delay(1000);
            Assert.False(uploading.IsCompleted, uploading.Exception?.ToString() ?? "the target never stopped taking bytes");
            Assert.True(await TestTimeouts.EventuallyAsync(async () => await ActiveStreamsAsync(http, gatewayAdmin) == 1));

            edge.Signal("KILL");
            Assert.NotEqual(0, await edge.WaitForExitAsync());
            await Task.WhenAny(uploading).WithTimeout();
        }

        using (accepted)
        {
            Assert.True(await TestTimeouts.EventuallyAsync(async () => await ActiveStreamsAsync(http, gatewayAdmin) == 0), "the gateway still holds the dead edge's stream");
        }

        // The gateway serves a new edge.
        var (again, againListen) = await nodes.StartEdgeAsync($"tunnel:{echo.EndPoint}", gatewayEndPoint);
        using var againProcess = again;
        using var next = await SocketTestExtensions.ConnectAsync(againListen);
        await next.SendAsync(new byte[] { 5 }, SocketFlags.None);
        Assert.Equal(5, (await next.ReceiveExactlyAsync(1).WithTimeout())[0]);
    }

    [Fact]
    public async Task GatewayKilled_WhileTheClientStoppedReading_TheEdgeClosesTheClient_NotAtTheIdleTimeout()
    {
        // The mirror case on the edge: the target floods, the client reads nothing, so the edge's relay is parked on the
        // client. The gateway dies (SIGKILL): the tunnel's end must close the client now, not at --idle-timeout (10m).
        using var target = new Socket(SocketType.Stream, ProtocolType.Tcp);
        target.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        target.Listen(8);
        var flooding = Task.Run(async () =>
        {
            var chunk = new byte[64 * 1024];
            while (true)
            {
                Socket accepted;
                try
                {
                    accepted = await target.AcceptAsync();
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    return;
                }

                _ = Task.Run(async () =>
                {
                    using (accepted)
                    {
                        try
                        {
                            for (var i = 0; i < 8192; i++)
                            {
                                await accepted.SendAsync(chunk, SocketFlags.None);
                            }
                        }
                        catch (SocketException)
                        {
                            // The gateway closed it.
                        }
                    }
                });
            }
        });
        using var nodes = new TunnelNodes();
        var (gateway, gatewayEndPoint) = await nodes.StartGatewayAsync("--allow-any-target");
        var (edge, listen) = await nodes.StartEdgeAsync($"tunnel:{target.LocalEndPoint}", gatewayEndPoint);
        using var edgeProcess = edge;
        var admin = await edge.AdminEndPointAsync();
        using var http = new HttpClient();
        using var client = await SocketTestExtensions.ConnectAsync(listen);
        client.ReceiveBufferSize = 4096;
        await client.SendAsync(new byte[] { 1 }, SocketFlags.None); // Reads nothing from here on.
        Assert.True(await TestTimeouts.EventuallyAsync(async () => await ActiveStreamsAsync(http, admin) == 1));
        await Task.Delay(1000); // The flood fills the client's buffers, the edge's pipes and the stream's window.

        using (gateway)
        {
            gateway.Signal("KILL");
            Assert.NotEqual(0, await gateway.WaitForExitAsync());
        }

        Assert.True(await TestTimeouts.EventuallyAsync(async () => await ActiveStreamsAsync(http, admin) == 0), "the edge still holds the client whose stream is gone");
        var buffer = new byte[64 * 1024];
        await Task.Run(async () =>
        {
            try
            {
                while (await client.ReceiveAsync(buffer, SocketFlags.None) > 0)
                {
                }
            }
            catch (SocketException)
            {
                // Reset: bytes were still queued for it.
            }
        }).WithTimeout(); // Closed: the rest of the flood, then the end.
        target.Dispose();
        await flooding.WithTimeout();
    }

    /// <summary>
    /// The target's connection that carries bytes. The edge's readiness probes (connected, then left) are closed as they
    /// come, before and after it, until <paramref name="listener"/> is disposed: their streams must not hold slots.
    /// </summary>
    private static Task<Socket> AcceptUploaderAsync(Socket listener)
    {
        var uploader = new TaskCompletionSource<Socket>(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = Task.Run(async () =>
        {
            while (true)
            {
                Socket accepted;
                try
                {
                    accepted = await listener.AcceptAsync();
                    if (await accepted.ReceiveAsync(new byte[1], SocketFlags.Peek) > 0 && uploader.TrySetResult(accepted))
                    {
                        continue;
                    }
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    return; // The test is over.
                }

                accepted.Dispose();
            }
        });
        return uploader.Task;
    }

    private static async Task<long> ActiveStreamsAsync(HttpClient http, IPEndPoint admin)
    {
        using var document = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync($"http://{admin}/status"));
        return document.RootElement.GetProperty("connections").GetProperty("active").GetInt64();
    }

    [Fact]
    public async Task Gateway_Sigterm_OpenStreamFinishes_ThenExit0()
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        using var nodes = new TunnelNodes();
        var (gateway, gatewayEndPoint) = await nodes.StartGatewayAsync("--allow-any-target", "--drain-timeout", "20s");
        using var gatewayProcess = gateway;
        var (edge, listen) = await nodes.StartEdgeAsync($"tunnel:{echo.EndPoint}", gatewayEndPoint);
        using var edgeProcess = edge;
        using var client = await SocketTestExtensions.ConnectAsync(listen);
        await client.SendAsync(new byte[] { 1 }, SocketFlags.None);
        Assert.Equal(1, (await client.ReceiveExactlyAsync(1).WithTimeout())[0]);

        gateway.Signal("TERM");
        await Task.Delay(300);

        // Draining: the open stream still works; the gateway waits for it.
        await client.SendAsync(new byte[] { 2 }, SocketFlags.None);
        Assert.Equal(2, (await client.ReceiveExactlyAsync(1).WithTimeout())[0]);
        Assert.False(gateway.HasExited);
        client.Shutdown(SocketShutdown.Send);
        Assert.Empty(await client.ReceiveToEndAsync());

        Assert.Equal(0, await gateway.WaitForExitAsync(TimeSpan.FromSeconds(15)));
        Assert.Contains("Draining: GOAWAY to", gateway.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gateway_RefusalAtALimit_IsCountedInItsMetric_ByLimit()
    {
        using var nodes = new TunnelNodes();
        var (gateway, gatewayEndPoint) = await nodes.StartGatewayAsync("--allow-any-target", "--max-handshakes-per-source", "1");
        using var gatewayProcess = gateway;
        var admin = await gateway.AdminEndPointAsync();
        using var http = new HttpClient();
        var metrics = await http.GetStringAsync($"http://{admin}/metrics");
        Assert.Contains("fastrelay_gateway_refusals_total{limit=\"max_handshakes_per_source\"} 0", metrics, StringComparison.Ordinal); // There from the start.

        // Two silent connections from one address: the second is over --max-handshakes-per-source 1.
        using var first = new Socket(SocketType.Stream, ProtocolType.Tcp);
        first.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
        await first.ConnectAsync(gatewayEndPoint);
        await Task.Delay(200); // The gateway has taken the first one's slot.
        using var second = new Socket(SocketType.Stream, ProtocolType.Tcp);
        second.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
        await second.ConnectAsync(gatewayEndPoint);
        Assert.True(await second.IsClosedByPeerAsync(TimeSpan.FromSeconds(5)));

        Assert.True(await TestTimeouts.EventuallyAsync(async () =>
        {
            metrics = await http.GetStringAsync($"http://{admin}/metrics");
            return metrics.Contains("fastrelay_gateway_refusals_total{limit=\"max_handshakes_per_source\"} 1", StringComparison.Ordinal);
        }), metrics);
        Assert.Contains("fastrelay_gateway_refusals_total{limit=\"max_streams\"} 0", metrics, StringComparison.Ordinal);
        Assert.Contains("fastrelay_gateway_refusals_total{limit=\"max_handshakes\"} 0", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gateway_Reload_ValidatesItsConfigFileAgain_NamesChanges_ErrorsAre422()
    {
        using var nodes = new TunnelNodes();
        var config = Path.Combine(nodes.Directory, "gateway.json");
        var listen = FastRelayProcess.FreeEndPoint();
        string Config(string drainTimeout) =>
            $$"""{"listen": "{{listen}}", "tunnel-key": "{{nodes.GatewayKeyFile}}", "edge-key": ["{{nodes.EdgePublicKey}}"], "allow-any-target": true, "audit": "off", "drain-timeout": "{{drainTimeout}}"}""";
        await File.WriteAllTextAsync(config, Config("10s"));
        using var gateway = FastRelayProcess.Start("gateway", "--config", config);
        var admin = await gateway.AdminActionsEndPointAsync();
        using var http = new HttpClient();

        await File.WriteAllTextAsync(config, Config("never"));
        var refused = await http.PostAsync(new Uri($"http://{admin}/reload"), null);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Contains("drain-timeout", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        await File.WriteAllTextAsync(config, Config("20s"));
        var changed = await http.PostAsync(new Uri($"http://{admin}/reload"), null);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        var body = await changed.Content.ReadAsStringAsync();
        Assert.True(body.Contains("config: valid; drain-timeout changed and take effect on a restart", StringComparison.Ordinal), body);
        gateway.Signal("TERM");
        Assert.Equal(0, await gateway.WaitForExitAsync());
    }

    [Fact]
    public async Task Gateway_Reload_AnEdgeKeyRemovedFromItsConfig_ClosesThatEdgesTunnels_AndRefusesItsDials()
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        using var nodes = new TunnelNodes();
        var config = Path.Combine(nodes.Directory, "gateway.json");
        var listen = FastRelayProcess.FreeEndPoint();
        string Config(string edgeKey) =>
            $$"""{"listen": "{{listen}}", "tunnel-key": "{{nodes.GatewayKeyFile}}", "edge-key": ["{{edgeKey}}"], "allow-any-target": true, "audit": "off"}""";
        await File.WriteAllTextAsync(config, Config(nodes.EdgePublicKey));
        using var gateway = FastRelayProcess.Start("gateway", "--config", config);
        var admin = await gateway.AdminActionsEndPointAsync();
        var (edge, edgeListen) = await nodes.StartEdgeAsync($"tunnel:{echo.EndPoint}", listen);
        using var edgeProcess = edge;
        using var http = new HttpClient();
        Assert.True(await TestTimeouts.EventuallyAsync(async () => (await http.GetStringAsync($"http://{admin}/readyz")).Contains("2 tunnel connections from 1 edge", StringComparison.Ordinal)));
        using (var client = await SocketTestExtensions.ConnectAsync(edgeListen))
        {
            await client.SendAsync(new byte[] { 1 }, SocketFlags.None);
            Assert.Equal(1, (await client.ReceiveExactlyAsync(1).WithTimeout())[0]);
        }

        // The edge's key leaves the list (another edge's takes its place): its tunnels close now, not at a restart.
        using var other = FastRelay.Tunnel.Noise.X25519Dh.Instance.GenerateKeyPair();
        await File.WriteAllTextAsync(config, Config(other.PublicKeyBase64));
        var reloaded = await http.PostAsync(new Uri($"http://{admin}/reload"), null);
        var body = await reloaded.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, reloaded.StatusCode);
        Assert.Contains("edge-key: 1 key pinned; 2 tunnel connections of edges no longer listed closed", body, StringComparison.Ordinal);
        Assert.DoesNotContain("edge-key changed", body, StringComparison.Ordinal);
        Assert.True(await TestTimeouts.EventuallyAsync(async () => (await http.GetStringAsync($"http://{admin}/readyz")).Contains("0 tunnel connections from 0 edges", StringComparison.Ordinal)));

        // And its new dials are refused: a session through it fails.
        using (var client = await SocketTestExtensions.ConnectAsync(edgeListen))
        {
            await client.SendAsync(new byte[] { 2 }, SocketFlags.None);
            Assert.True(await client.IsClosedByPeerAsync(TimeSpan.FromSeconds(10))); // Closed or reset, never echoed.
        }
    }

    private static long Handshakes(HttpClient http, IPEndPoint admin)
    {
        var metrics = http.GetStringAsync($"http://{admin}/metrics").GetAwaiter().GetResult();
        var match = HandshakeLine().Match(metrics);
        return match.Success ? long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    [GeneratedRegex("fastrelay_tunnel_handshakes_total\\{[^}]*outcome=\"ok\"\\} (\\d+)")]
    private static partial Regex HandshakeLine();
}
