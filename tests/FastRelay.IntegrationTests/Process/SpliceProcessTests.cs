using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using FastRelay.Backends;
using FastRelay.TestKit;

namespace FastRelay.IntegrationTests.Process;

/// <summary>
/// <c>--splice</c> from the command line: a bulk upload through the edge arrives complete either way, and
/// <c>fastrelay_splice_pipes</c> in /metrics shows whether it went through a pipe (README, "Metrics").
/// </summary>
public sealed class SpliceProcessTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [Theory]
    [InlineData("on")]
    [InlineData("off")]
    public async Task BulkUpload_ArrivesComplete_PipesInMetricsOnlyWhenSpliceIsOn(string splice)
    {
        await using var sink = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Sink);
        var listen = FastRelayProcess.FreeEndPoint();
        using var relay = FastRelayProcess.Start("edge", "--listen", $"sink@{listen}", "--route", $"sink={sink.EndPoint}",
            "--splice", splice, "--admin", "127.0.0.1:0", "--audit", "off");
        var admin = await relay.AdminEndPointAsync();
        await relay.WaitUntilListeningAsync(listen);

        using var client = await SocketTestExtensions.ConnectAsync(listen);
        var chunk = SocketTestExtensions.RandomBytes(1 << 20, seed: 1);
        for (var i = 0; i < 32; i++)
        {
            await client.SendAsync(chunk, SocketFlags.None);
        }

        client.Shutdown(SocketShutdown.Send);
        Assert.Equal(32L << 20, await LoopbackBackend.ReadSinkCountAsync(client).WithTimeout());

        var metrics = await Http.GetStringAsync(new Uri($"http://{admin}/metrics"));
        var idle = Gauge(metrics, "idle");
        Assert.Equal(0, Gauge(metrics, "in_use")); // The transfer is over: no flow holds a pipe.
        if (splice == "on")
        {
            Assert.InRange(idle, 1, 2); // The flow spliced; its pipe went back to its loop, kept for the next one.
        }
        else
        {
            Assert.Equal(0, idle);
        }

        relay.Signal("TERM");
        Assert.Equal(0, await relay.WaitForExitAsync());
    }

    private static long Gauge(string metrics, string state)
    {
        var match = Regex.Match(metrics, $"^fastrelay_splice_pipes\\{{state=\"{state}\"\\}} (\\d+)$", RegexOptions.Multiline);
        Assert.True(match.Success, metrics);
        return long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }
}
