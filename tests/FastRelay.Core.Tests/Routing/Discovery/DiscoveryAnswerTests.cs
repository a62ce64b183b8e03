using System.Text;
using CsCheck;
using FastRelay.Routing.Discovery;

namespace FastRelay.Core.Tests.Routing.Discovery;

public sealed class DiscoveryAnswerTests
{
    [Theory]
    [InlineData("json array", "application/json", "[\"10.0.0.1:443\", \"10.0.0.2:443;weight=3\"]", "10.0.0.1:443 w1,10.0.0.2:443 w3")]
    [InlineData("json object", "application/json; charset=utf-8", "{\"targets\": [\"db.internal:5432\"]}", "db.internal:5432 w1")]
    [InlineData("json sniffed", null, "  [\"[fd00::1]:443\"]", "[fd00::1]:443 w1")]
    [InlineData("text", "text/plain", "# picked for 10.0.0.2\n10.0.0.1:443\r\n\n10.0.0.3:443;weight=2 # canary\n", "10.0.0.1:443 w1,10.0.0.3:443 w2")]
    [InlineData("text sniffed", null, "10.0.0.1:443", "10.0.0.1:443 w1")]
    [InlineData("tunnel", "text/plain", "tunnel:app.exit.internal:8080", "tunnel:app.exit.internal:8080 w1")]
    [InlineData("json sent as text", "text/plain; charset=utf-8", "[\"10.0.0.1:443\"]", "10.0.0.1:443 w1")]
    [InlineData("json sent as html", "text/html", " {\"targets\": [\"10.0.0.2:443\"]}", "10.0.0.2:443 w1")]
    [InlineData("text starting with an IPv6 target", "text/plain", "[fd00::7]:443\n10.0.0.1:443", "[fd00::7]:443 w1,10.0.0.1:443 w1")]
    public void TryParse_GoodAnswers_GiveTheTargetsInOrder(string label, string? mediaType, string body, string expected)
    {
        Assert.True(DiscoveryAnswer.TryParse(Encoding.UTF8.GetBytes(body), mediaType, allowTunnel: true, out var targets, out var error), $"{label}: {error}");
        Assert.Equal(expected, string.Join(",", targets!.Select(t => $"{t} w{t.Weight}")));
    }

    [Theory]
    [InlineData("empty", "text/plain", "# nothing\n", "lists no targets")]
    [InlineData("empty json", "application/json", "[]", "lists no targets")]
    [InlineData("not json", "application/json", "[\"10.0.0.1:443\"", "not valid JSON")]
    [InlineData("number", "application/json", "[443]", "found a number")]
    [InlineData("object without targets", "application/json", "{\"hosts\": []}", "expected a JSON array")]
    [InlineData("nested", "application/json", "[[[[[\"x\"]]]]]", "not valid JSON")]
    [InlineData("lone surrogate", "application/json", "[\"10.0.0.1:443\", \"\\uD800:443\"]", "[1]: a \\u escape that is not valid UTF-16")]
    [InlineData("no port", "text/plain", "10.0.0.1", "target 1 '10.0.0.1'")]
    [InlineData("bad weight", "text/plain", "10.0.0.1:443;weight=0", "weight=N with N from 1 to 100")]
    [InlineData("bad host", "text/plain", "10.0.0.1:443\nex ample:80", "target 2")]
    [InlineData("html", "text/html", "<html>oops</html>", "target 1")]
    public void TryParse_BadAnswers_AreRefusedWithAReason(string label, string? mediaType, string body, string expected)
    {
        Assert.False(DiscoveryAnswer.TryParse(Encoding.UTF8.GetBytes(body), mediaType, allowTunnel: true, out _, out var error), label);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_TunnelTargetWithoutGateway_IsRefused()
    {
        Assert.False(DiscoveryAnswer.TryParse("tunnel:a:1"u8, "text/plain", allowTunnel: false, out _, out var error));
        Assert.Contains("needs a --gateway", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_HostileSizes_AreRefused()
    {
        var tooMany = string.Join("\n", Enumerable.Range(0, DiscoveryAnswer.MaxTargets + 1).Select(i => $"10.0.{i / 256}.{i % 256}:80"));
        Assert.False(DiscoveryAnswer.TryParse(Encoding.UTF8.GetBytes(tooMany), null, true, out _, out var error));
        Assert.Contains("at most 256", error, StringComparison.Ordinal);

        Assert.False(DiscoveryAnswer.TryParse(new byte[DiscoveryAnswer.MaxBodyBytes + 1], null, true, out _, out error));
        Assert.Contains("larger than", error, StringComparison.Ordinal);

        Assert.False(DiscoveryAnswer.TryParse([0xff, 0xfe, 0x31], null, true, out _, out error));
        Assert.Contains("not UTF-8", error, StringComparison.Ordinal);

        var longLine = new string('a', 5000) + ":80:80";
        Assert.False(DiscoveryAnswer.TryParse(Encoding.UTF8.GetBytes(longLine), null, true, out _, out error));
        Assert.True(error.Length < 300, "a hostile line is shortened in the error");
    }
}

/// <summary>Property tests: the answer comes from the network, so any bytes give a result or a reason, never an exception.</summary>
public sealed class DiscoveryAnswerPropertyTests
{
    [Fact]
    public void TryParse_AnyBytes_NeverThrows() =>
        Gen.Byte.Array[0, 600].Sample(bytes =>
        {
            foreach (var mediaType in new[] { null, "application/json", "text/plain" })
            {
                if (!DiscoveryAnswer.TryParse(bytes, mediaType, allowTunnel: true, out var targets, out var error))
                {
                    Assert.NotEmpty(error);
                }
                else
                {
                    Assert.InRange(targets!.Count, 1, DiscoveryAnswer.MaxTargets);
                }
            }
        }, iter: 2000);

    [Fact]
    public void TryParse_GeneratedTargets_RoundTripThroughJsonAndText() =>
        Gen.Select(Gen.Int[1, 254], Gen.Int[1, 65535], Gen.Int[1, 100]).Array[1, 20].Sample(rows =>
        {
            var entries = rows.Select(r => $"10.0.0.{r.Item1}:{r.Item2};weight={r.Item3}").ToArray();
            var json = Encoding.UTF8.GetBytes("[" + string.Join(",", entries.Select(e => $"\"{e}\"")) + "]");
            var text = Encoding.UTF8.GetBytes(string.Join("\n", entries));
            Assert.True(DiscoveryAnswer.TryParse(json, "application/json", true, out var fromJson, out _));
            Assert.True(DiscoveryAnswer.TryParse(text, "text/plain", true, out var fromText, out _));
            Assert.Equal(fromJson, fromText);
            Assert.Equal(rows.Select(r => r.Item3), fromJson!.Select(t => t.Weight));
        }, iter: 300);
}
