using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FastRelay.Admin;
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

/// <summary>Runs the demo: backends, an in-process edge, echo sessions and a bulk transfer, all verified.</summary>
internal static class DemoRunner
{
    private const int MessageBytes = 64;

    public static async Task<int> RunAsync(DemoSettings settings, CancellationToken cancellationToken)
    {
        var loopback = new IPEndPoint(IPAddress.Loopback, 0);
        await using var echo = LoopbackBackend.Start(loopback, BackendMode.Echo);
        await using var sink = LoopbackBackend.Start(loopback, BackendMode.Sink);
        var options = EdgeOptionsReader.Read(
        [
            new("listen", "echo@127.0.0.1:0", "demo"), new("listen", "sink@127.0.0.1:0", "demo"),
            new("route", $"echo={echo.EndPoint}", "demo"), new("route", $"sink={sink.EndPoint}", "demo"),
        ]);
        using var loggerFactory = Logging.CreateFactory(new LogOptions(LogFormat.Text, LogLevel.Warning));
        using var metrics = new RelayMetrics();
        using var exporter = new PrometheusExporter(metrics.Meter);
        await using var edge = EdgeServer.Start(options, loggerFactory, TimeProvider.System, dialer: null, policy: null, new MetricsObserver(metrics));
        metrics.ObserveActiveConnections(() => edge.ActiveConnections);
        Console.WriteLine($"backends: echo {echo.EndPoint}, sink {sink.EndPoint}; edge: echo {edge.EndPoints[0]}, sink {edge.EndPoints[1]}");
        await using var admin = await StartAdminAsync(settings, options, edge, exporter, loggerFactory);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stop.CancelAfter(settings.Duration);
        var started = Stopwatch.GetTimestamp();
        var sessions = Enumerable.Range(0, settings.Sessions).Select(_ => EchoSessionAsync(edge.EndPoints[0], stop.Token)).ToArray();
        long exchanges = 0;
        foreach (var session in sessions)
        {
            exchanges += await session;
        }

        var echoSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        Console.WriteLine($"echo: {settings.Sessions} sessions, {exchanges} verified exchanges of {MessageBytes} B in {echoSeconds:0.0} s ({exchanges / echoSeconds:N0}/s)");

        started = Stopwatch.GetTimestamp();
        var counted = await BulkAsync(edge.EndPoints[1], settings.BulkBytes);
        var bulkSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        Console.WriteLine($"bulk: {settings.BulkBytes:N0} B sent, sink counted {counted:N0} B, {settings.BulkBytes / bulkSeconds / 1e6:N0} MB/s");

        foreach (var line in exporter.Scrape().Split('\n').Where(l => l.StartsWith("fastrelay_connections_accepted_total", StringComparison.Ordinal) || l.StartsWith("fastrelay_relayed_bytes_total", StringComparison.Ordinal)))
        {
            Console.WriteLine($"metrics: {line}");
        }

        var ok = counted == settings.BulkBytes && exchanges > 0;
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

        var state = new AdminState { Version = "demo", Time = TimeProvider.System, StartedAt = TimeProvider.System.GetUtcNow(), Options = options, Metrics = exporter, Server = edge };
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

    private static async Task<long> EchoSessionAsync(IPEndPoint endPoint, CancellationToken stop)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endPoint, CancellationToken.None);
        var send = new byte[MessageBytes];
        var receive = new byte[MessageBytes];
        long exchanges = 0;
        while (!stop.IsCancellationRequested)
        {
            BitConverter.TryWriteBytes(send, exchanges);
            await socket.SendAsync(send, SocketFlags.None);
            var got = 0;
            while (got < MessageBytes)
            {
                var n = await socket.ReceiveAsync(receive.AsMemory(got), SocketFlags.None, CancellationToken.None);
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

    private static async Task<long> BulkAsync(IPEndPoint endPoint, long bytes)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endPoint);
        var chunk = new byte[64 * 1024];
        for (var sent = 0L; sent < bytes; sent += chunk.Length)
        {
            await socket.SendAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, bytes - sent)), SocketFlags.None);
        }

        socket.Shutdown(SocketShutdown.Send);
        return await LoopbackBackend.ReadSinkCountAsync(socket);
    }
}
