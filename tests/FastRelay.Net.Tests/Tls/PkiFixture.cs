using FastRelay.TestKit;

namespace FastRelay.Net.Tests.Tls;

/// <summary>Something that holds the test PKI.</summary>
internal interface IPkiOwner
{
    TestCertificates Pki { get; }
}

/// <summary>One throwaway PKI for the TLS tests (key generation is the slow part), removed at the end.</summary>
public sealed class PkiFixture : IDisposable, IPkiOwner
{
    private static readonly Lazy<TestCertificates> Instance = new(() => TestCertificates.Create());

    /// <summary>The shared instance (helpers without a fixture reach it here).</summary>
    internal static PkiFixture Shared { get; } = new();

    /// <inheritdoc />
    public TestCertificates Pki => Instance.Value;

    /// <inheritdoc />
    public void Dispose()
    {
        // The PKI is shared by every TLS test class in this run; its temp folder goes when the process ends.
    }
}
