using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace FastRelay.TestKit;

/// <summary>A TLS client for loopback tests: trusts only the test root for the server, offers the given client certificate and SNI name.</summary>
public static class TlsTestClient
{
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<SslStream, Socket> Sockets = new();

    /// <summary>
    /// Connects and completes the client side of the handshake. Note the TLS 1.3 trap: a client whose
    /// certificate the server rejects still gets a stream here, and only sees the end on its first read.
    /// </summary>
    public static async Task<SslStream> ConnectAsync(IPEndPoint endPoint, TestCertificates pki, X509Certificate2? clientCertificate,
        string? serverName = "edge.test", SslProtocols protocols = SslProtocols.Tls13 | SslProtocols.Tls12, IPAddress? from = null, X509Certificate2Collection? sendChain = null)
    {
        var socket = await SocketTestExtensions.ConnectAsync(endPoint, from);
        var stream = new SslStream(new NetworkStream(socket, ownsSocket: true));
        Sockets.Add(stream, socket);
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = serverName ?? "",
            EnabledSslProtocols = protocols,
            ClientCertificates = clientCertificate is null || sendChain is not null ? null : [clientCertificate],
            LocalCertificateSelectionCallback = clientCertificate is null || sendChain is not null ? null : (_, _, _, _, _) => clientCertificate,
            // sendChain: these certificates go after the leaf, whatever they are (as openssl s_client -CAfile sends a CA).
            ClientCertificateContext = clientCertificate is null || sendChain is null ? null : SslStreamCertificateContext.Create(clientCertificate, sendChain, offline: true),
            AllowTlsResume = false,
            CertificateChainPolicy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, CustomTrustStore = { pki.Ca }, DisableCertificateDownloads = true, RevocationMode = X509RevocationMode.NoCheck },
        };
        // The chain must lead to the test root; the name is not checked, since SNI tests send names (crm, tickets.corp) the certificate does not carry.
        options.RemoteCertificateValidationCallback = (_, _, _, errors) => (errors & ~SslPolicyErrors.RemoteCertificateNameMismatch) == 0;

        try
        {
            await stream.AuthenticateAsClientAsync(options).WithTimeout();
        }
        catch
        {
            await stream.DisposeAsync();
            throw;
        }

        return stream;
    }

    /// <summary>Reads until EOF (close_notify or FIN); a reset or alert surfaces as an exception.</summary>
    public static async Task<byte[]> ReadToEndAsync(this SslStream stream)
    {
        using var all = new MemoryStream();
        await stream.CopyToAsync(all).WithTimeout();
        return all.ToArray();
    }

    /// <summary>True when the server ended the connection (EOF, alert or reset) on the first read, within the test timeout.</summary>
    public static async Task<bool> IsClosedByServerAsync(this SslStream stream)
    {
        try
        {
            var buffer = new byte[1];
            return await stream.ReadAsync(buffer).AsTask().WithTimeout() == 0;
        }
        catch (Exception ex) when (ex is IOException or AuthenticationException or SocketException)
        {
            return true;
        }
    }

    /// <summary>Sends the client's half-close: close_notify (TLS) then FIN.</summary>
    public static async Task HalfCloseAsync(this SslStream stream)
    {
        // Serialized with a read the test may have pending on the stream, as the edge does it (SslShutdown).
        await FastRelay.Tls.Native.SslShutdown.ShutdownAsync(stream);
        Sockets.TryGetValue(stream, out var socket);
        socket!.Shutdown(SocketShutdown.Send);
    }

    /// <summary>Ends the connection with a TCP reset (linger 0), no close_notify: a client that crashed or gave up.</summary>
    public static void Reset(this SslStream stream)
    {
        Sockets.TryGetValue(stream, out var socket);
        socket!.LingerState = new LingerOption(true, 0);
        socket.Close();
    }
}
