using FastRelay.TestKit;

namespace FastRelay.Net.Tests.Tls;

/// <summary>One throwaway PKI for the TLS tests (key generation is the slow part), removed at the end.</summary>
public sealed class PkiFixture : IDisposable
{
    /// <summary>The PKI.</summary>
    public TestCertificates Pki { get; } = TestCertificates.Create();

    /// <inheritdoc />
    public void Dispose() => Pki.Dispose();
}
