using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using FastRelay.Configuration;
using FastRelay.TestKit;
using FastRelay.Tls;
using FastRelay.Tls.Revocation;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace FastRelay.Net.Tests.Tls.Revocation;

/// <summary>
/// The client-certificate revocation checker against a real <c>fastrelay ca</c> CA: CRL files and its OCSP
/// responder over loopback HTTP, and responders that are down or silent, in both failure modes.
/// </summary>
public sealed class RevocationCheckerTests
{
    private static RevocationOptions Options(RevocationMode mode, params string[] crls) =>
        new() { Mode = mode, CrlFiles = crls, OcspTimeout = TimeSpan.FromSeconds(2) };

    [Fact]
    public async Task Crl_ListsClient_Refused_WithoutAnyHttp()
    {
        await using var pki = TestPki.Create(ocsp: true);
        var (alice, serial) = pki.IssueClient("alice");
        pki.Ca.Revoke(serial, X509RevocationReason.KeyCompromise, out _);
        var crl = Path.Combine(pki.Directory, "ca.crl");
        pki.WriteCrl(crl);

        using var checker = RevocationChecker.Create(Options(RevocationMode.SoftFail, crl), pki.Bundle, NullLogger.Instance, TimeProvider.System)!;
        var verdict = await checker.CheckAsync(pki.Chain(alice), CancellationToken.None);

        Assert.False(verdict.Allowed);
        Assert.Contains($"serial {serial}", verdict.Detail, StringComparison.Ordinal);
        Assert.Contains("per CRL", verdict.Detail, StringComparison.Ordinal);
        Assert.Equal(0, pki.Responder!.Requests);
    }

    [Fact]
    public async Task Crl_CurrentAndNotListed_AllowedWithoutDetail_AndNoOcsp()
    {
        await using var pki = TestPki.Create(ocsp: true);
        var (bob, _) = pki.IssueClient("bob");
        var crl = Path.Combine(pki.Directory, "ca.crl");
        pki.WriteCrl(crl);

        using var checker = RevocationChecker.Create(Options(RevocationMode.HardFail, crl), pki.Bundle, NullLogger.Instance, TimeProvider.System)!;
        var verdict = await checker.CheckAsync(pki.Chain(bob), CancellationToken.None);

        Assert.Equal(new RevocationVerdict(true, null), verdict);
        Assert.Equal(0, pki.Responder!.Requests);
    }

    [Fact]
    public async Task Crl_Lookup_AllocatesNothingPerCheck()
    {
        await using var pki = TestPki.Create();
        var (bob, _) = pki.IssueClient("bob");
        var crl = Path.Combine(pki.Directory, "ca.crl");
        pki.WriteCrl(crl);
        using var checker = RevocationChecker.Create(Options(RevocationMode.HardFail, crl), pki.Bundle, NullLogger.Instance, TimeProvider.System)!;
        var chain = pki.Chain(bob);
        Assert.True(CompletedAllowed(checker.CheckAsync(chain, CancellationToken.None))); // Warm up lazy certificate fields.

        Assert.Equal(0, Allocations.FewestBytesOnThisThread(
            () => Assert.True(CompletedAllowed(checker.CheckAsync(chain, CancellationToken.None))), iterations: 1000));
    }

    [Fact]
    public async Task Ocsp_Revoked_Refused_Good_Allowed_SecondCheckFromCache()
    {
        await using var pki = TestPki.Create(ocsp: true);
        var (good, _) = pki.IssueClient("good");
        var (bad, badSerial) = pki.IssueClient("bad");
        pki.Ca.Revoke(badSerial, X509RevocationReason.KeyCompromise, out _);

        using var checker = RevocationChecker.Create(Options(RevocationMode.HardFail), pki.Bundle, NullLogger.Instance, TimeProvider.System)!;
        var refused = await checker.CheckAsync(pki.Chain(bad), CancellationToken.None);
        Assert.False(refused.Allowed);
        Assert.Contains("revoked per OCSP", refused.Detail, StringComparison.Ordinal);
        Assert.Contains("KeyCompromise", refused.Detail, StringComparison.Ordinal);

        Assert.Equal(new RevocationVerdict(true, null), await checker.CheckAsync(pki.Chain(good), CancellationToken.None));
        Assert.Equal(new RevocationVerdict(true, null), await checker.CheckAsync(pki.Chain(good), CancellationToken.None));
        Assert.Equal(2, pki.Responder!.Requests); // One per certificate: the repeat came from the cache.
        Assert.Equal(2, checker.Ocsp!.Lookups);
    }

    [Fact]
    public async Task Ocsp_AnswerSignedByAnotherCa_NotTrusted_HardFailRefuses()
    {
        // Another CA (same name, other key) answers for our certificate: a forged "good" must count for nothing.
        await using var impostor = TestPki.Create(ocsp: true);
        await using var pki = TestPki.Create(ocspUrl: $"http://127.0.0.1:{impostor.Responder!.EndPoint.Port}");
        var (alice, _) = pki.IssueClient("alice");

        using var checker = RevocationChecker.Create(Options(RevocationMode.HardFail), pki.Bundle, NullLogger.Instance, TimeProvider.System)!;
        var verdict = await checker.CheckAsync(pki.Chain(alice), CancellationToken.None);

        Assert.False(verdict.Allowed);
        Assert.Contains("is not signed by the issuer or a responder it delegated", verdict.Detail, StringComparison.Ordinal);
        Assert.Equal(1, impostor.Responder.Requests);
    }

    [Fact]
    public async Task Ocsp_ConcurrentChecksOfOneCertificate_OneHttpRequest()
    {
        await using var pki = TestPki.Create(ocsp: true);
        var (alice, _) = pki.IssueClient("alice");
        using var checker = RevocationChecker.Create(Options(RevocationMode.HardFail), pki.Bundle, NullLogger.Instance, TimeProvider.System)!;

        var checks = Enumerable.Range(0, 32).Select(_ => checker.CheckAsync(pki.Chain(alice), CancellationToken.None).AsTask());
        var verdicts = await Task.WhenAll(checks).WithTimeout();

        Assert.All(verdicts, v => Assert.True(v.Allowed));
        Assert.Equal(1, pki.Responder!.Requests);
    }

    [Fact]
    public async Task Ocsp_ResponderDown_SoftFailAllowsAndSaysWhy_HardFailRefuses()
    {
        var closedPort = ClosedPort();
        await using var pki = TestPki.Create(ocspUrl: $"http://127.0.0.1:{closedPort}");
        var (alice, _) = pki.IssueClient("alice");

        using var soft = RevocationChecker.Create(Options(RevocationMode.SoftFail), pki.Bundle, NullLogger.Instance, TimeProvider.System)!;
        var allowed = await soft.CheckAsync(pki.Chain(alice), CancellationToken.None);
        Assert.True(allowed.Allowed);
        Assert.Contains("allowed by --revocation soft-fail", allowed.Detail, StringComparison.Ordinal);
        Assert.Contains($"OCSP responder http://127.0.0.1:{closedPort} unreachable", allowed.Detail, StringComparison.Ordinal);

        using var hard = RevocationChecker.Create(Options(RevocationMode.HardFail), pki.Bundle, NullLogger.Instance, TimeProvider.System)!;
        var refused = await hard.CheckAsync(pki.Chain(alice), CancellationToken.None);
        Assert.False(refused.Allowed);
        Assert.Contains("refused by --revocation hard-fail", refused.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ocsp_ResponderSilent_TimesOut_SoftFailAllows()
    {
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        silent.Listen(); // Accepts into the backlog and never answers.
        var port = ((IPEndPoint)silent.LocalEndPoint!).Port;
        await using var pki = TestPki.Create(ocspUrl: $"http://127.0.0.1:{port}");
        var (alice, _) = pki.IssueClient("alice");

        var options = Options(RevocationMode.SoftFail) with { OcspTimeout = TimeSpan.FromMilliseconds(300) };
        using var checker = RevocationChecker.Create(options, pki.Bundle, NullLogger.Instance, TimeProvider.System)!;
        var verdict = await checker.CheckAsync(pki.Chain(alice), CancellationToken.None).AsTask().WithTimeout();

        Assert.True(verdict.Allowed);
        Assert.Contains("did not answer within 300ms", verdict.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(RevocationMode.SoftFail, true)]
    [InlineData(RevocationMode.HardFail, false)]
    public async Task Ocsp_TheHandshakeDeadlineComesFirst_StatusUnknown_TheModeDecides(RevocationMode mode, bool allowed)
    {
        // The edge passes the handshake's deadline: a client that used most of it leaves the lookup less time than
        // --ocsp-timeout. That cancellation escaped as an exception (an unexpected error per connection, no audit row).
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        silent.Listen();
        await using var pki = TestPki.Create(ocspUrl: $"http://127.0.0.1:{((IPEndPoint)silent.LocalEndPoint!).Port}");
        var (alice, _) = pki.IssueClient("alice");
        var options = Options(mode) with { OcspTimeout = TimeSpan.FromSeconds(20) };
        using var checker = RevocationChecker.Create(options, pki.Bundle, NullLogger.Instance, TimeProvider.System)!;
        using var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        var verdict = await checker.CheckAsync(pki.Chain(alice), deadline.Token).AsTask().WithTimeout();

        Assert.Equal(allowed, verdict.Allowed);
        Assert.Contains("no answer from OCSP responder", verdict.Detail, StringComparison.Ordinal);
        Assert.Contains("before the handshake deadline (--tls-handshake-timeout)", verdict.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ocsp_AMalformedResponderUrl_IsAFailedLookup_NotAnException()
    {
        await using var pki = TestPki.Create(ocspUrl: "http://[::1");
        var (alice, _) = pki.IssueClient("alice");
        using var soft = RevocationChecker.Create(Options(RevocationMode.SoftFail), pki.Bundle, NullLogger.Instance, TimeProvider.System)!;

        var verdict = await soft.CheckAsync(pki.Chain(alice), CancellationToken.None).AsTask().WithTimeout();

        Assert.True(verdict.Allowed);
        Assert.Contains("allowed by --revocation soft-fail", verdict.Detail, StringComparison.Ordinal);
        Assert.Contains("OCSP lookup at http://[::1 failed (UriFormatException", verdict.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)] // Says so in Content-Length.
    [InlineData(false)] // Chunked: found out while reading.
    public async Task Ocsp_AnAnswerOverTheLimit_IsNotRead_HardFailRefuses(bool announced)
    {
        // A responder that streams without end (at most 64 MiB here, or until the checker hangs up).
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var sent = 0L;
        var responder = Task.Run(async () =>
        {
            using var connection = await listener.AcceptAsync();
            var head = new byte[8192];
            _ = await connection.ReceiveAsync(head); // The request; its bytes do not matter.
            var header = announced
                ? "HTTP/1.1 200 OK\r\nContent-Type: application/ocsp-response\r\nContent-Length: 67108864\r\n\r\n"
                : "HTTP/1.1 200 OK\r\nContent-Type: application/ocsp-response\r\nTransfer-Encoding: chunked\r\n\r\n";
            await connection.SendAsync(System.Text.Encoding.ASCII.GetBytes(header));
            var block = new byte[64 * 1024];
            var chunk = System.Text.Encoding.ASCII.GetBytes($"{block.Length:x}\r\n");
            try
            {
                while (sent < 64 << 20)
                {
                    if (!announced)
                    {
                        await connection.SendAsync(chunk);
                    }

                    await connection.SendAsync(block);
                    if (!announced)
                    {
                        await connection.SendAsync("\r\n"u8.ToArray());
                    }

                    sent += block.Length;
                }
            }
            catch (SocketException)
            {
                // The checker hung up: what this test wants.
            }
        });
        await using var pki = TestPki.Create(ocspUrl: $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndPoint!).Port}");
        var (alice, _) = pki.IssueClient("alice");

        // A timeout long enough that a loaded machine still reaches the limit first.
        var options = Options(RevocationMode.HardFail) with { OcspTimeout = TimeSpan.FromSeconds(20) };
        using var hard = RevocationChecker.Create(options, pki.Bundle, NullLogger.Instance, TimeProvider.System)!;
        var refused = await hard.CheckAsync(pki.Chain(alice), CancellationToken.None).AsTask().WithTimeout();
        await responder.WithTimeout();

        Assert.False(refused.Allowed);
        Assert.Contains("sent an answer of more than 1048576 bytes; not read", refused.Detail, StringComparison.Ordinal);
        Assert.True(sent < 64 << 20, $"the checker read all {sent} bytes");
    }

    [Fact]
    public async Task NoCrlNoOcspUrl_SoftFailAllowsWithDetail_HardFailRefuses()
    {
        await using var pki = TestPki.Create();
        var (alice, _) = pki.IssueClient("alice");

        using var soft = RevocationChecker.Create(Options(RevocationMode.SoftFail), pki.Bundle, NullLogger.Instance, TimeProvider.System)!;
        using var hard = RevocationChecker.Create(Options(RevocationMode.HardFail), pki.Bundle, NullLogger.Instance, TimeProvider.System)!;
        var allowed = await soft.CheckAsync(pki.Chain(alice), CancellationToken.None);
        var refused = await hard.CheckAsync(pki.Chain(alice), CancellationToken.None);

        Assert.True(allowed.Allowed);
        Assert.Contains("no CRL from its issuer and no OCSP URL", allowed.Detail, StringComparison.Ordinal);
        Assert.False(refused.Allowed);
    }

    [Fact]
    public async Task Crl_PastNextUpdate_StatusUnknown_PerMode()
    {
        await using var pki = TestPki.Create();
        var (alice, _) = pki.IssueClient("alice");
        var crl = Path.Combine(pki.Directory, "ca.crl");
        pki.WriteCrl(crl, TimeSpan.FromDays(1));
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);

        using var hard = RevocationChecker.Create(Options(RevocationMode.HardFail, crl), pki.Bundle, NullLogger.Instance, time)!;
        Assert.True((await hard.CheckAsync(pki.Chain(alice), CancellationToken.None)).Allowed);

        time.Advance(TimeSpan.FromDays(2));
        var refused = await hard.CheckAsync(pki.Chain(alice), CancellationToken.None);
        Assert.False(refused.Allowed);
        Assert.Contains("is past its nextUpdate", refused.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void OffOrNothingToCheck_CreatesNoChecker()
    {
        Assert.Null(RevocationChecker.Create(new RevocationOptions { Mode = RevocationMode.Off }, [], NullLogger.Instance, TimeProvider.System));
        Assert.Null(RevocationChecker.Create(new RevocationOptions { OcspTimeout = TimeSpan.Zero }, [], NullLogger.Instance, TimeProvider.System));
    }

    [Fact]
    public async Task Create_CrlOfAnotherCa_ThrowsNamingTheFile()
    {
        await using var pki = TestPki.Create();
        await using var other = TestPki.Create();
        var crl = Path.Combine(other.Directory, "other.crl");
        other.WriteCrl(crl);
        var garbage = Path.Combine(pki.Directory, "garbage.crl");
        await File.WriteAllTextAsync(garbage, "not a crl");

        var ex = Assert.Throws<RevocationLoadException>(() => RevocationChecker.Create(Options(RevocationMode.SoftFail, crl, garbage), pki.Bundle, NullLogger.Instance, TimeProvider.System));
        Assert.Contains($"--crl {crl}: signature does not verify", ex.Message, StringComparison.Ordinal); // Same name "Test CA", other key.
        Assert.Contains($"--crl {garbage}: ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_NotACrl_SaysWhatTheFileHolds()
    {
        await using var pki = TestPki.Create();
        var certificate = Path.Combine(pki.Directory, "cert-as.crl");
        await File.WriteAllTextAsync(certificate, pki.CaCertificate.ExportCertificatePem());
        var empty = Path.Combine(pki.Directory, "empty.crl");
        await File.WriteAllTextAsync(empty, "\n");
        var garbage = Path.Combine(pki.Directory, "garbage.crl");
        await File.WriteAllTextAsync(garbage, "not a crl");

        var ex = Assert.Throws<RevocationLoadException>(() => RevocationChecker.Create(Options(RevocationMode.SoftFail, certificate, empty, garbage), pki.Bundle, NullLogger.Instance, TimeProvider.System));
        Assert.Contains($"--crl {certificate}: holds a PEM 'CERTIFICATE' block, not an 'X509 CRL'; expected a CRL in PEM or DER", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"--crl {empty}: empty; expected a CRL in PEM or DER", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"--crl {garbage}: ", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain($"--crl {garbage}: empty", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>The CRL path never waits: the check has completed when it returns.</summary>
    private static bool CompletedAllowed(ValueTask<RevocationVerdict> check)
    {
        Assert.True(check.IsCompletedSuccessfully);
        return check.Result.Allowed;
    }

    private static int ClosedPort() => FaultyListeners.RefusingEndPoint().Port;
}
