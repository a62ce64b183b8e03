using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FastRelay.Admin;

/// <summary>
/// The admin HTTP endpoint (<c>--admin</c>) on Kestrel, kept minimal: an empty host (no configuration
/// sources, no MVC, no routing), one terminal handler, our logger factory (so Kestrel's lines have our
/// format; Microsoft.* below Warning is filtered in Logging), and no signal handling of its own (EdgeHost
/// owns SIGTERM/SIGINT).
/// </summary>
internal sealed partial class AdminServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private AdminServer(WebApplication app, IPEndPoint endPoint)
    {
        _app = app;
        EndPoint = endPoint;
    }

    /// <summary>The bound address (the real port when 0 was asked for).</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>Binds <paramref name="endPoint"/> and serves <paramref name="state"/>.</summary>
    /// <exception cref="AdminBindException">The address is in use, not local, or needs privileges.</exception>
    public static async Task<AdminServer> StartAsync(IPEndPoint endPoint, AdminState state, ILoggerFactory loggerFactory)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Services.AddSingleton(loggerFactory);
        builder.Services.AddSingleton<IHostLifetime, NoSignalsLifetime>();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(options =>
        {
            options.AddServerHeader = false;
            options.Limits.MaxRequestBodySize = 64 * 1024; // The actions take no body.
            options.Listen(endPoint, listen => listen.Protocols = HttpProtocols.Http1);
        });
        var app = builder.Build();
        var endpoints = new AdminEndpoints(state);
        app.Run(endpoints.HandleAsync);
        try
        {
            await app.StartAsync();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Kestrel reports a bind failure as an IOException around the socket error, or as the socket error itself:
            // the known causes are named whichever way they come. Anything else (out of descriptors or memory while
            // Kestrel loads) is still one line and exit 1, never a crash.
            await app.DisposeAsync();
            if (BindFailure(ex) is { } what)
            {
                throw new AdminBindException($"admin endpoint {endPoint} (--admin) {what}; choose another with --admin ADDR:PORT, or --admin off", ex);
            }

            throw new AdminBindException(ex is IOException
                ? $"admin endpoint {endPoint} (--admin) cannot be bound ({ex.InnerException?.Message ?? ex.Message}); choose another with --admin ADDR:PORT, or --admin off"
                : $"admin endpoint {endPoint} (--admin) cannot start: {ex.Message}", ex);
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var uri = new Uri(address);
        var bound = new IPEndPoint(endPoint.Address, uri.Port);
        state.AdminEndPoint = bound;
        var logger = loggerFactory.CreateLogger("FastRelay.Admin");
        Log.Listening(logger, bound);
        return new AdminServer(app, bound);
    }

    /// <summary>Stops listening; requests in flight get a moment to finish.</summary>
    public async ValueTask DisposeAsync()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await _app.StopAsync(deadline.Token);
        await _app.DisposeAsync();
    }

    /// <summary>The generic host's lifetime without ConsoleLifetime's signal handlers.</summary>
    private sealed class NoSignalsLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 800, EventName = "AdminListening", Level = LogLevel.Information,
            Message = "Admin endpoint listening on http://{AdminEndPoint} (GET /metrics /healthz /readyz /status; POST /reload /drain)")]
        public static partial void Listening(ILogger logger, IPEndPoint adminEndPoint);
    }

    // The first known bind failure in the exception or the ones inside it; null when there is none.
    private static string? BindFailure(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            switch (ex)
            {
                case Microsoft.AspNetCore.Connections.AddressInUseException:
                case System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.AddressAlreadyInUse }:
                    return "is already in use";
                case System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.AddressNotAvailable }:
                    return "is not an address of this machine";
                case System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.AccessDenied }:
                    return "needs privileges";
            }
        }

        return null;
    }
}

/// <summary>The admin endpoint cannot bind; the message is the one-line reason printed before exit 1.</summary>
internal sealed class AdminBindException(string message, Exception inner) : Exception(message, inner);
