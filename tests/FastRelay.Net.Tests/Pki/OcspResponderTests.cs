using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using FastRelay.TestKit;
using Org.BouncyCastle.Ocsp;

namespace FastRelay.Net.Tests.Pki;

/// <summary>
/// <c>fastrelay ca ocsp</c> answers as RFC 6960 says, checked by OpenSSL's own OCSP client (signature,
/// nonce, status) and by raw HTTP for the GET form and malformed input.
/// </summary>
public sealed class OcspResponderTests
{
    [Fact]
    public async Task OpenSslOcsp_GoodRevokedUnknown_VerifiedWithTheCa()
    {
        await using var pki = TestPki.Create(ocsp: true);
        pki.IssueClient("good");
        var (_, revokedSerial) = pki.IssueClient("revoked");
        pki.Ca.Revoke(revokedSerial, X509RevocationReason.KeyCompromise, out _);
        var url = $"http://127.0.0.1:{pki.Responder!.EndPoint.Port}";
        var ca = pki.Ca.Files.Certificate;

        var good = await OpenSsl.RunAsync("ocsp", "-issuer", ca, "-cert", pki.Ca.Files.Issued("good").Certificate, "-url", url, "-CAfile", ca, "-resp_text");
        Assert.Contains("Response verify OK", good.Output, StringComparison.Ordinal);
        Assert.Contains("good.pem: good", good.Output, StringComparison.Ordinal);
        Assert.Contains("OCSP Nonce", good.Output, StringComparison.Ordinal); // Echoed: OpenSSL checks it matches.
        Assert.Contains("Next Update:", good.Output, StringComparison.Ordinal);

        var revoked = await OpenSsl.RunAsync("ocsp", "-issuer", ca, "-cert", pki.Ca.Files.Issued("revoked").Certificate, "-url", url, "-CAfile", ca);
        Assert.Contains("Response verify OK", revoked.Output, StringComparison.Ordinal);
        Assert.Contains("revoked.pem: revoked", revoked.Output, StringComparison.Ordinal);
        Assert.Contains("Reason: keyCompromise", revoked.Output, StringComparison.Ordinal);

        var unknown = await OpenSsl.RunAsync("ocsp", "-issuer", ca, "-serial", "0x1234", "-url", url, "-CAfile", ca);
        Assert.Contains("Response verify OK", unknown.Output, StringComparison.Ordinal);
        Assert.Contains("0x1234: unknown", unknown.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_Base64Path_AnsweredLikePost()
    {
        await using var pki = TestPki.Create(ocsp: true);
        var base64 = Convert.ToBase64String(await AliceRequestAsync(pki));
        var path = Uri.EscapeDataString(base64);

        using var http = new HttpClient();
        foreach (var url in new[]
        {
            $"http://127.0.0.1:{pki.Responder!.EndPoint.Port}/{path}",
            // A lenient client: '/' left as it is, '+' and '=' encoded, under a base path.
            $"http://127.0.0.1:{pki.Responder!.EndPoint.Port}/ocsp/{base64.Replace("+", "%2B", StringComparison.Ordinal).Replace("=", "%3D", StringComparison.Ordinal)}",
        })
        {
            var bytes = await http.GetByteArrayAsync(url).WithTimeout();
            var response = new OcspResp(bytes);
            Assert.Equal(OcspRespStatus.Successful, response.Status);
            Assert.Null(((BasicOcspResp)response.GetResponseObject()).Responses[0].GetCertStatus()); // null = good
        }
    }

    [Fact]
    public async Task IndexDamagedWhileRunning_InternalErrorStatus_NeverAnAnswerFromIt_ThenGoodAgainOnceMended()
    {
        await using var pki = TestPki.Create(ocsp: true);
        var request = await AliceRequestAsync(pki);
        var url = $"http://127.0.0.1:{pki.Responder!.EndPoint.Port}/";
        using var http = new HttpClient();
        async Task<OcspResp> AskAsync()
        {
            using var body = new ByteArrayContent(request);
            body.Headers.ContentType = new MediaTypeHeaderValue("application/ocsp-request");
            using var answer = await http.PostAsync(url, body).WithTimeout();
            return new OcspResp(await answer.Content.ReadAsByteArrayAsync());
        }

        var good = await File.ReadAllTextAsync(pki.Ca.Files.Index);
        await File.AppendAllTextAsync(pki.Ca.Files.Index, "X\tbad\n");
        File.SetLastWriteTimeUtc(pki.Ca.Files.Index, DateTime.UtcNow.AddSeconds(5)); // Seen as changed even within the clock's step.
        Assert.Equal(OcspRespStatus.InternalError, (await AskAsync()).Status);

        await File.WriteAllTextAsync(pki.Ca.Files.Index, good);
        File.SetLastWriteTimeUtc(pki.Ca.Files.Index, DateTime.UtcNow.AddSeconds(10));
        Assert.Equal(OcspRespStatus.Successful, (await AskAsync()).Status);
    }

    [Theory]
    [InlineData("/MAP%2F%2F%2F8%3D")] // 30 03 FF FF FF, every '/' encoded.
    [InlineData("/MAP///8=")] // Left as they are.
    [InlineData("/ocsp/MAP///8%3D")] // Under a base path.
    public void GetPath_TheRequestIsFound_WhetherOrNotItsSlashesAreEncoded(string path)
    {
        Assert.True(FastRelay.Pki.OcspHttpRequest.TryParseHead(System.Text.Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n"), out var method, out var request, out _, out var error), error);
        Assert.Equal("GET", method);
        Assert.Equal(new byte[] { 0x30, 0x03, 0xFF, 0xFF, 0xFF }, request);
    }

    [Fact]
    public async Task Post_Garbage_MalformedRequestStatus_AndBadHttp400()
    {
        await using var pki = TestPki.Create(ocsp: true);
        using var http = new HttpClient();
        var url = $"http://127.0.0.1:{pki.Responder!.EndPoint.Port}/";
        using var garbage = new ByteArrayContent([1, 2, 3, 4]);
        garbage.Headers.ContentType = new MediaTypeHeaderValue("application/ocsp-request");
        using var answer = await http.PostAsync(url, garbage).WithTimeout();
        Assert.Equal(OcspRespStatus.MalformedRequest, new OcspResp(await answer.Content.ReadAsByteArrayAsync()).Status);

        using var put = await http.PutAsync(url, new ByteArrayContent([1])).WithTimeout();
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, put.StatusCode);
        Assert.Contains("use POST or GET", await put.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var bare = await http.GetAsync(url).WithTimeout(); // GET / carries no request: the answer says so.
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, bare.StatusCode);
        Assert.Contains("GET path has no OCSP request", await bare.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    // A client "alice" issued by the CA, and OpenSSL's DER request for her status (no nonce: the same bytes each time).
    private static async Task<byte[]> AliceRequestAsync(TestPki pki)
    {
        pki.IssueClient("alice");
        var requestFile = Path.Combine(pki.Directory, "req.der");
        await OpenSsl.RunAsync("ocsp", "-issuer", pki.Ca.Files.Certificate, "-cert", pki.Ca.Files.Issued("alice").Certificate, "-no_nonce", "-reqout", requestFile);
        return await File.ReadAllBytesAsync(requestFile);
    }
}
