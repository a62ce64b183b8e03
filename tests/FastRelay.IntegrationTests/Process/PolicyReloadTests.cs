using System.Net;
using System.Net.Sockets;
using FastRelay.Backends;
using FastRelay.TestKit;

namespace FastRelay.IntegrationTests.Process;

/// <summary>
/// <c>--policy</c> as operators use it: validated in full at start, reloaded when the file changes and on
/// SIGHUP, a bad version refused with every error while the running one stays (policy-format.md, "Live changes").
/// </summary>
public sealed class PolicyReloadTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"fastrelay-policy-{Guid.NewGuid():N}.json");

    private static string Policy(string inboundSource) => $$"""
        {"SecurityGroups": [
          {"Name": "Desk", "Rules": [{"Protocol": "TCP", "SourceIP": "{{inboundSource}}", "Action": "Allow"}]},
          {"Name": "Backends", "Rules": [{"Protocol": "TCP", "DestinationIP": "127.0.0.1", "Action": "Allow"}]}
        ]}
        """;

    [Fact]
    public async Task BadPolicyAtStart_Exit2_EveryErrorWithItsPath()
    {
        await File.WriteAllTextAsync(_path, """{"SecurityGroups": [{"Name": "G", "Rules": [{"SourceIP": "10.0.0.300", "PortRange": "99999", "Action": "Maybe"}]}]}""");
        using var relay = await FastRelayProcess.RunAsync("edge", "--listen", "127.0.0.1:0", "--route", "a=127.0.0.1:9", "--policy", _path);

        Assert.Equal(2, await relay.WaitForExitAsync());
        Assert.Contains("SecurityGroups[0].Rules[0].SourceIP '10.0.0.300'", relay.StandardError, StringComparison.Ordinal);
        Assert.Contains("SecurityGroups[0].Rules[0].PortRange", relay.StandardError, StringComparison.Ordinal);
        Assert.Contains("SecurityGroups[0].Rules[0].Action 'Maybe'", relay.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FileChange_AndSighup_Reload_BadVersionKeepsTheOld()
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await File.WriteAllTextAsync(_path, Policy("127.0.0.2/32"));
        var listen = FastRelayProcess.FreeEndPoint();
        using var relay = FastRelayProcess.Start("edge", "--listen", $"echo@{listen}", "--route", $"echo={echo.EndPoint}", "--policy", _path);
        await relay.WaitUntilListeningAsync(listen);
        Assert.False(await CanEchoFromAsync(listen, "127.0.0.3"));

        // Edit in place: the watcher reloads, and the edit takes effect within 1 s (issue 4; 200 ms debounce), measured
        // with the relay's own log timestamp against the time of the write. The test allows 3 s, for a loaded CI machine
        // (three test assemblies share its cores); the measured time is in the message.
        var written = DateTimeOffset.UtcNow;
        await File.WriteAllTextAsync(_path, Policy("127.0.0.0/8"));
        Assert.True(await TestTimeouts.EventuallyAsync(() => relay.StandardOutput.Contains("reloaded (file changed)", StringComparison.Ordinal)), relay.StandardOutput);
        var line = relay.StandardOutput.Split('\n').First(l => l.Contains("reloaded (file changed)", StringComparison.Ordinal));
        var reloadedAt = DateTimeOffset.Parse(line[..line.IndexOf(' ', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(reloadedAt - written < TimeSpan.FromSeconds(3), $"the edit took {(reloadedAt - written).TotalMilliseconds:0} ms to take effect");
        Assert.True(await CanEchoFromAsync(listen, "127.0.0.3"));

        // A broken version is refused, with its errors; the running policy stays.
        await File.WriteAllTextAsync(_path, """{"SecurityGroups": [{"Name": "G", "Rules": [{"SourceIP": "nope", "Action": "Allow"}]}]}""");
        Assert.True(await TestTimeouts.EventuallyAsync(() => relay.StandardOutput.Contains("not reloaded", StringComparison.Ordinal)), relay.StandardOutput);
        Assert.Contains("SecurityGroups[0].Rules[0].SourceIP 'nope'", relay.StandardOutput, StringComparison.Ordinal);
        Assert.True(await CanEchoFromAsync(listen, "127.0.0.3"));

        // SIGHUP reloads on demand (here: back to the narrow policy, written as a rename like editors do).
        var temp = _path + ".tmp";
        await File.WriteAllTextAsync(temp, Policy("127.0.0.2/32"));
        File.Move(temp, _path, overwrite: true);
        relay.Signal("HUP");
        Assert.True(await TestTimeouts.EventuallyAsync(() => relay.StandardOutput.Contains("reloaded (SIGHUP)", StringComparison.Ordinal)), relay.StandardOutput);
        Assert.False(await CanEchoFromAsync(listen, "127.0.0.3"));
        Assert.True(await CanEchoFromAsync(listen, "127.0.0.2"));

        relay.Signal("TERM");
        Assert.Equal(0, await relay.WaitForExitAsync());
    }

    [Fact]
    public async Task KubernetesStyleSymlinkSwap_IsSeenAsAChange()
    {
        // A mounted Secret or ConfigMap: policy.json -> ..data/policy.json, ..data -> a timestamped folder. An update
        // writes a new folder and renames a new ..data link over the old one: policy.json itself never changes.
        var mount = Directory.CreateTempSubdirectory("fastrelay-mount-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(mount, "..v1"));
            await File.WriteAllTextAsync(Path.Combine(mount, "..v1", "policy.json"), Policy("127.0.0.2/32"));
            File.CreateSymbolicLink(Path.Combine(mount, "..data"), "..v1");
            File.CreateSymbolicLink(Path.Combine(mount, "policy.json"), "..data/policy.json");

            await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
            var listen = FastRelayProcess.FreeEndPoint();
            using var relay = FastRelayProcess.Start("edge", "--listen", $"echo@{listen}", "--route", $"echo={echo.EndPoint}", "--policy", Path.Combine(mount, "policy.json"));
            await relay.WaitUntilListeningAsync(listen);
            Assert.False(await CanEchoFromAsync(listen, "127.0.0.3"));

            Directory.CreateDirectory(Path.Combine(mount, "..v2"));
            await File.WriteAllTextAsync(Path.Combine(mount, "..v2", "policy.json"), Policy("127.0.0.0/8"));
            File.CreateSymbolicLink(Path.Combine(mount, "..data_tmp"), "..v2");
            // rename(2) of the link itself over the old one, as kubelet does (File.Move follows the link to a folder).
            using (var rename = System.Diagnostics.Process.Start("mv", ["-T", "-f", Path.Combine(mount, "..data_tmp"), Path.Combine(mount, "..data")]))
            {
                await rename.WaitForExitAsync();
                Assert.Equal(0, rename.ExitCode);
            }


            Assert.True(await TestTimeouts.EventuallyAsync(() => relay.StandardOutput.Contains("reloaded (file changed)", StringComparison.Ordinal)), relay.StandardOutput);
            Assert.True(await CanEchoFromAsync(listen, "127.0.0.3"));
            relay.Signal("TERM");
            Assert.Equal(0, await relay.WaitForExitAsync());
        }
        finally
        {
            Directory.Delete(mount, recursive: true);
        }
    }

    [Fact]
    public async Task PolicyExplain_AgreesWithTheRelay()
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await File.WriteAllTextAsync(_path, Policy("127.0.0.2/32"));
        var listen = FastRelayProcess.FreeEndPoint();
        using var relay = FastRelayProcess.Start("edge", "--listen", $"echo@{listen}", "--route", $"echo={echo.EndPoint}", "--policy", _path);
        await relay.WaitUntilListeningAsync(listen);

        foreach (var source in new[] { "127.0.0.2", "127.0.0.3" })
        {
            using var explain = await FastRelayProcess.RunAsync("policy", "explain", _path, "--src", source, "--dst", listen.Address.ToString(),
                "--port", listen.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--service", "echo");
            Assert.Equal(0, await explain.WaitForExitAsync());
            var explainAllows = explain.StandardOutput.StartsWith("Allow", StringComparison.Ordinal);
            Assert.Equal(source == "127.0.0.2", explainAllows);
            Assert.Equal(explainAllows, await CanEchoFromAsync(listen, source));
        }

        relay.Signal("TERM");
        Assert.Equal(0, await relay.WaitForExitAsync());
    }

    public void Dispose() => File.Delete(_path);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RecheckEstablished_ANarrowedPolicyClosesTheConnectionsItDenies_OnlyWhenAsked(bool recheck)
    {
        // policy-format.md: "Connections already established are not cut by a reload unless the user asks for it."
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await File.WriteAllTextAsync(_path, Policy("127.0.0.0/8"));
        var listen = FastRelayProcess.FreeEndPoint();
        string[] flags = ["edge", "--listen", $"echo@{listen}", "--route", $"echo={echo.EndPoint}", "--policy", _path, "--audit", "off", "--drain-timeout", "1s"];
        using var relay = FastRelayProcess.Start(recheck ? [.. flags, "--recheck-established"] : flags);
        await relay.WaitUntilListeningAsync(listen);
        using var kept = await SocketTestExtensions.ConnectAsync(listen, IPAddress.Parse("127.0.0.2"));
        using var denied = await SocketTestExtensions.ConnectAsync(listen, IPAddress.Parse("127.0.0.3"));
        Assert.True(await EchoesAsync(kept) && await EchoesAsync(denied), "both relay before the reload");

        await File.WriteAllTextAsync(_path, Policy("127.0.0.2/32"));
        Assert.True(await TestTimeouts.EventuallyAsync(() => relay.StandardOutput.Contains("reloaded (file changed)", StringComparison.Ordinal)), relay.StandardOutput);

        if (recheck)
        {
            Assert.True(await TestTimeouts.EventuallyAsync(() => relay.StandardOutput.Contains("1 closed as denied", StringComparison.Ordinal)), relay.StandardOutput);
            Assert.True(await denied.IsClosedByPeerAsync(TimeSpan.FromSeconds(10)));
        }
        else
        {
            Assert.DoesNotContain("established connections decided again", relay.StandardOutput, StringComparison.Ordinal);
            Assert.True(await EchoesAsync(denied), "without --recheck-established a reload changes new connections only");
        }

        Assert.True(await EchoesAsync(kept), "a connection the new policy allows keeps relaying");
        relay.Signal("TERM");
        Assert.Equal(0, await relay.WaitForExitAsync());
    }

    private static async Task<bool> EchoesAsync(Socket client)
    {
        try
        {
            await client.SendAsync(new byte[] { 9 }, SocketFlags.None);
            var buffer = new byte[1];
            return await client.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(5)) == 1 && buffer[0] == 9;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static async Task<bool> CanEchoFromAsync(IPEndPoint listen, string source)
    {
        using var client = await SocketTestExtensions.ConnectAsync(listen, IPAddress.Parse(source));
        try
        {
            await client.SendAsync(new byte[] { 7 }, SocketFlags.None);
            var buffer = new byte[1];
            var n = await client.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(5));
            return n == 1 && buffer[0] == 7;
        }
        catch (SocketException)
        {
            return false; // Closed by the relay before the echo: denied.
        }
    }
}
