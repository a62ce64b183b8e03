using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using FastRelay.Admin;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using FastRelay.Backends;
using FastRelay.CommandLine;
using FastRelay.Configuration;
using FastRelay.Diagnostics;
using FastRelay.Diagnostics.Prometheus;
using FastRelay.Observing;
using FastRelay.Relaying;
using Microsoft.Extensions.Logging;

namespace FastRelay.Hosting;

/// <summary>Settings of <c>fastrelay demo</c>.</summary>
internal sealed record DemoSettings(int Sessions = 100, TimeSpan Duration = default, long BulkBytes = 256L << 20, IPEndPoint? Admin = null, bool AdminOff = false)
{
    public IPEndPoint? AdminEndPoint => AdminOff ? null : Admin ?? EdgeOptions.DefaultAdmin;

    public TimeSpan Duration { get; init; } = Duration == default ? TimeSpan.FromSeconds(3) : Duration;
}

/// <summary>
/// Runs the demo: backends, an in-process edge with mutual TLS (throwaway certificates), echo sessions and a bulk
/// transfer through it, all verified, and a client without a certificate that is refused; then the same through
/// the tunnel: client -> mTLS edge -> tunnel -> gateway -> backend, with throwaway tunnel keys (<see cref="DemoTunnel"/>).
/// </summary>
internal static class DemoRunner
{
    private const int MessageBytes = 64;

    public static async Task<int> RunAsync(DemoSettings settings, CancellationToken cancellationToken)
    {
        var loopback = new IPEndPoint(IPAddress.Loopback, 0);
        await using var echo = LoopbackBackend.Start(loopback, BackendMode.Echo);
        await using var sink = LoopbackBackend.Start(loopback, BackendMode.Sink);
        using var pki = DemoCertificates.Create();
        using var loggerFactory = Logging.CreateFactory(new LogOptions(LogFormat.Text, LogLevel.Warning));
        await using var tunnel = DemoTunnel.Start(echo.EndPoint, sink.EndPoint, loggerFactory);
        var options = EdgeOptionsReader.Read(
        [
            new("listen", "echo@127.0.0.1:0", "demo"), new("listen", "sink@127.0.0.1:0", "demo"),
            new("route", $"echo={echo.EndPoint}", "demo"), new("route", $"sink={sink.EndPoint}", "demo"),
            new("tls-cert", pki.ServerCertFile, "demo"), new("tls-key", pki.ServerKeyFile, "demo"),
            new("client-ca", pki.CaFile, "demo"), new("ocsp-staple", "off", "demo"),
            .. tunnel.EdgeSettings,
        ]);
        using var metrics = new RelayMetrics();
        using var exporter = new PrometheusExporter(metrics.Meter);
        await using var pool = await tunnel.StartPoolAsync(options.Tunnel!, loggerFactory, metrics);
        await using var edge = EdgeServer.Start(options, loggerFactory, TimeProvider.System, dialer: null, policy: null, new MetricsObserver(metrics), tunnel: pool);
        metrics.ObserveActiveConnections(() => edge.ActiveConnections);
        Console.WriteLine($"backends: echo {echo.EndPoint}, sink {sink.EndPoint}; edge (mutual TLS, throwaway CA in {pki.Directory}): echo {edge.EndPoints[0]}, sink {edge.EndPoints[1]}");
        await using var admin = await StartAdminAsync(settings, options, edge, exporter, loggerFactory);
        var client = new DemoClient(pki);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stop.CancelAfter(settings.Duration);
        var started = Stopwatch.GetTimestamp();
        var sessions = Enumerable.Range(0, settings.Sessions).Select(_ => EchoSessionAsync(client, edge.EndPoints[0], stop.Token)).ToArray();
        long exchanges = 0;
        foreach (var session in sessions)
        {
            exchanges += await session;
        }

        var echoSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        Console.WriteLine($"echo: {settings.Sessions} mTLS sessions (client certificate CN=demo-desk-1), {exchanges} verified exchanges of {MessageBytes} B in {echoSeconds:0.0} s ({exchanges / echoSeconds:N0}/s)");

        started = Stopwatch.GetTimestamp();
        var counted = await BulkAsync(client, edge.EndPoints[1], settings.BulkBytes);
        var bulkSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        Console.WriteLine($"bulk: {settings.BulkBytes:N0} B sent, sink counted {counted:N0} B, {settings.BulkBytes / bulkSeconds / 1e6:N0} MB/s");

        foreach (var line in exporter.Scrape().Split('\n').Where(l => l.StartsWith("fastrelay_connections_accepted_total", StringComparison.Ordinal) || l.StartsWith("fastrelay_relayed_bytes_total", StringComparison.Ordinal)))
        {
            Console.WriteLine($"metrics: {line}");
        }

        // A client without a certificate: its TLS 1.3 handshake may even succeed, but the edge closes it and says why.
        var refused = await WithoutCertificateIsRefusedAsync(pki, edge.EndPoints[0]);
        for (var waited = 0; waited < 100 && edge.Closed[CloseReason.ClientCertRejected] == 0; waited++)
        {
            await Task.Delay(20, CancellationToken.None); // The client sees EOF a moment before the edge counts the close.
        }

        Console.WriteLine($"no client certificate: {(refused ? "refused" : "NOT refused")} (close reason ClientCertRejected: {edge.Closed[CloseReason.ClientCertRejected]})");

        var tunnelOk = await tunnel.RunAsync(pool, edge, (ip, stop) => EchoSessionAsync(client, ip, stop), (ip, bytes) => BulkAsync(client, ip, bytes),
            ip => ClosedWithoutAnswerAsync(client, ip), settings);
        var ok = counted == settings.BulkBytes && exchanges > 0 && refused && tunnelOk;
        Console.WriteLine(ok ? "demo: OK, every byte arrived" : "demo: FAILED, bytes were lost");
        Console.WriteLine("For measurements (direct vs relay, percentiles, SVG), run tools/demo.sh.");
        return ok ? ExitCodes.Success : ExitCodes.RuntimeFailure;
    }

    // The demo serves the admin endpoint like the edge does, so `curl http://127.0.0.1:9901/metrics` works
    // while it runs; a port in use only costs the endpoint (the demo is a check, not a service).
    private static async Task<AdminServer?> StartAdminAsync(DemoSettings settings, EdgeOptions options, EdgeServer edge, PrometheusExporter exporter, ILoggerFactory loggerFactory)
    {
        if (settings.AdminEndPoint is not { } endPoint)
        {
            return null;
        }

        var state = new AdminState { Version = "demo", Time = TimeProvider.System, StartedAt = TimeProvider.System.GetUtcNow(), Options = options, Metrics = exporter, Server = edge, ActionsReady = true };
        state.ReadinessChecks.Add(new ListenersReadinessCheck(state));
        try
        {
            var admin = await AdminServer.StartAsync(endPoint, state, loggerFactory);
            Console.WriteLine($"admin: while the demo runs, curl http://{admin.EndPoint}/metrics (or /status); --duration 60s gives you time");
            return admin;
        }
        catch (AdminBindException ex)
        {
            Console.WriteLine($"admin: not served: {ex.Message}");
            return null;
        }
    }

    private static async Task<long> EchoSessionAsync(DemoClient client, IPEndPoint endPoint, CancellationToken stop)
    {
        await using var tls = await client.ConnectAsync(endPoint, withCertificate: true);
        var send = new byte[MessageBytes];
        var receive = new byte[MessageBytes];
        long exchanges = 0;
        while (!stop.IsCancellationRequested)
        {
            BitConverter.TryWriteBytes(send, exchanges);
            await tls.WriteAsync(send, CancellationToken.None);
            var got = 0;
            while (got < MessageBytes)
            {
                var n = await tls.ReadAsync(receive.AsMemory(got), CancellationToken.None);
                if (n == 0)
                {
                    throw new IOException("the relay closed an echo session early");
                }

                got += n;
            }

            if (!send.AsSpan().SequenceEqual(receive))
            {
                throw new IOException("an echoed message differs from the one sent");
            }

            exchanges++;
        }

        return exchanges;
    }

    private static async Task<long> BulkAsync(DemoClient client, IPEndPoint endPoint, long bytes)
    {
        await using var tls = await client.ConnectAsync(endPoint, withCertificate: true);
        var chunk = new byte[256 * 1024];
        for (var sent = 0L; sent < bytes; sent += chunk.Length)
        {
            await tls.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, bytes - sent)));
        }

        await tls.ShutdownAsync(); // close_notify: the edge sends the sink a FIN; the sink answers with its count.
        DemoClient.SocketOf(tls).Shutdown(SocketShutdown.Send);
        var count = new byte[sizeof(long)];
        await tls.ReadExactlyAsync(count);
        return BitConverter.ToInt64(count);
    }

    // A client with a good certificate whose target the gateway refuses: the edge closes it without an answer.
    private static async Task<bool> ClosedWithoutAnswerAsync(DemoClient client, IPEndPoint endPoint)
    {
        try
        {
            await using var tls = await client.ConnectAsync(endPoint, withCertificate: true);
            await tls.WriteAsync(new byte[] { 1 });
            return await tls.ReadAsync(new byte[1]) == 0;
        }
        catch (IOException)
        {
            return true; // Reset rather than a clean close: closed all the same.
        }
    }

    private static async Task<bool> WithoutCertificateIsRefusedAsync(DemoCertificates pki, IPEndPoint endPoint)
    {
        try
        {
            await using var tls = await new DemoClient(pki).ConnectAsync(endPoint, withCertificate: false);
            await tls.WriteAsync(new byte[] { 1 });
            return await tls.ReadAsync(new byte[1]) == 0;
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException)
        {
            return true; // Refused in the handshake (TLS 1.2) or with an alert on the first read (TLS 1.3).
        }
    }

    /// <summary>The demo's TLS client: trusts only the demo CA, offers the demo client certificate.</summary>
    private sealed class DemoClient(DemoCertificates pki)
    {
        private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<SslStream, Socket> Sockets = new();

        public static Socket SocketOf(SslStream stream) => Sockets.TryGetValue(stream, out var socket) ? socket : throw new InvalidOperationException("not a demo stream");

        public async Task<SslStream> ConnectAsync(IPEndPoint endPoint, bool withCertificate)
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(endPoint);
            var tls = new SslStream(new NetworkStream(socket, ownsSocket: true));
            Sockets.Add(tls, socket);
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                ClientCertificates = withCertificate ? [pki.Client] : null,
                LocalCertificateSelectionCallback = withCertificate ? (_, _, _, _, _) => pki.Client : null,
                CertificateChainPolicy = new X509ChainPolicy
                {
                    TrustMode = X509ChainTrustMode.CustomRootTrust,
                    CustomTrustStore = { pki.Ca },
                    RevocationMode = X509RevocationMode.NoCheck,
                    DisableCertificateDownloads = true,
                },
            });
            return tls;
        }
    }
}
