using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using FastRelay.Bench.Client;

namespace FastRelay.Bench.Tls;

/// <summary>
/// The harness's mTLS client: a new SslStream per connection with the bench client certificate, the bench CA
/// as the only trust anchor, and no session resumption (unless <c>--tls-resume</c>), so every connection is a full handshake.
/// </summary>
internal sealed class TlsClient(BenchPki pki, bool resume = false)
{
    // A certificate context (not a selection callback): .NET only caches client sessions for resumption then.
    private readonly SslStreamCertificateContext _certificate = SslStreamCertificateContext.Create(pki.Client, null);

    private readonly X509ChainPolicy _trust = new()
    {
        TrustMode = X509ChainTrustMode.CustomRootTrust,
        CustomTrustStore = { pki.Ca },
        RevocationMode = X509RevocationMode.NoCheck,
        DisableCertificateDownloads = true,
    };

    /// <summary>Connects and completes a full handshake (TLS 1.3).</summary>
    public async Task<(Socket Socket, SslStream Stream)> ConnectAsync(IPEndPoint endPoint, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var socket = await ClientSocket.ConnectAsync(endPoint, timeout, cancellationToken);
        var stream = new SslStream(new NetworkStream(socket, ownsSocket: false));
        try
        {
            await stream.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                EnabledSslProtocols = SslProtocols.Tls13,
                ClientCertificateContext = _certificate,
                AllowTlsResume = resume, // Off by default: "full handshake", no resumption from the client side.
                CertificateChainPolicy = _trust,
            }, cancellationToken);
            return (socket, stream);
        }
        catch
        {
            await stream.DisposeAsync();
            socket.Dispose();
            throw;
        }
    }

    /// <summary>close_notify, then FIN.</summary>
    public static async Task HalfCloseAsync(Socket socket, SslStream stream)
    {
        await stream.ShutdownAsync();
        socket.Shutdown(SocketShutdown.Send);
    }
}
