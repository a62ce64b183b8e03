using System.Security.Cryptography.X509Certificates;
using FastRelay.Configuration;
using FastRelay.TestKit;
using FastRelay.Tls.Revocation;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastRelay.Net.Tests.Tls.Revocation;

/// <summary>
/// CRL files are live: a new CRL written over the old one (as <c>ca crl</c> does, by rename) takes effect
/// without a restart, and a broken file keeps the last good CRL.
/// </summary>
public sealed class CrlReloadTests
{
    [Fact]
    public async Task NewCrlWritten_RevocationTakesEffectWithoutRestart()
    {
        await using var pki = TestPki.Create();
        var (alice, serial) = pki.IssueClient("alice");
        var crl = Path.Combine(pki.Directory, "ca.crl");
        pki.WriteCrl(crl);
        var options = new RevocationOptions { Mode = RevocationMode.HardFail, CrlFiles = [crl], OcspTimeout = TimeSpan.Zero };
        using var checker = RevocationChecker.Create(options, pki.Bundle, NullLogger.Instance, TimeProvider.System)!;
        Assert.True((await checker.CheckAsync(pki.Chain(alice), CancellationToken.None)).Allowed);

        pki.Ca.Revoke(serial, X509RevocationReason.CessationOfOperation, out _);
        pki.WriteCrl(crl);

        Assert.True(await TestTimeouts.EventuallyAsync(() => !checker.CheckAsync(pki.Chain(alice), CancellationToken.None).AsTask().Result.Allowed));
    }

    [Fact]
    public async Task BrokenCrlWritten_OldCrlKept_ReloadReportsTheFailure()
    {
        await using var pki = TestPki.Create();
        var (alice, serial) = pki.IssueClient("alice");
        pki.Ca.Revoke(serial, X509RevocationReason.KeyCompromise, out _);
        var crl = Path.Combine(pki.Directory, "ca.crl");
        pki.WriteCrl(crl);
        var options = new RevocationOptions { Mode = RevocationMode.SoftFail, CrlFiles = [crl], OcspTimeout = TimeSpan.Zero };
        using var checker = RevocationChecker.Create(options, pki.Bundle, NullLogger.Instance, TimeProvider.System)!;

        await File.WriteAllTextAsync(crl, "-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n");
        Assert.Equal(1, checker.Crls!.Reload("test"));
        await Task.Delay(400); // Let the watcher's debounced reload run too: it must not drop the old CRL either.

        var verdict = await checker.CheckAsync(pki.Chain(alice), CancellationToken.None);
        Assert.False(verdict.Allowed);
        Assert.Single(checker.Crls.Current.Crls);
    }
}
