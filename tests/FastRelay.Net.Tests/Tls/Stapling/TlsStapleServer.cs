using System.Net;
using System.Net.Security;
using System.Net.Sockets;

namespace FastRelay.Net.Tests.Tls.Stapling;

/// <summary>A bare SslStream server on loopback port 0 that completes handshakes with one certificate context and closes.</summary>
internal sealed class TlsStapleServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public TlsStapleServer(SslStreamCertificateContext context)
    {
        _listener.Start();
        _loop = AcceptAsync(context);
    }

    public string Address => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop;
        _stop.Dispose();
    }

    private async Task AcceptAsync(SslStreamCertificateContext context)
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return; // Stopping.
            }

            using (client)
            using (var ssl = new SslStream(client.GetStream()))
            {
                try
                {
                    await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificateContext = context }, _stop.Token);
                }
                catch (Exception ex) when (ex is IOException or System.Security.Authentication.AuthenticationException or OperationCanceledException)
                {
                    // s_client may hang up first; the test reads s_client's output, not ours.
                }
            }
        }
    }
}
