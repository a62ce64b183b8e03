using System.Net;
using System.Net.Sockets;
using FastRelay.Admin;
using FastRelay.Handoff;
using FastRelay.Relaying;
using Microsoft.Extensions.Logging;

namespace FastRelay.Hosting;

/// <summary>
/// The running edge's part in a zero-downtime restart (HandoffProtocol): gives up the admin port, hands
/// over the listening sockets, then drains like SIGTERM; or takes the admin port back if the new process
/// failed.
/// </summary>
internal sealed class EdgeRestart(EdgeServer server, AdminLifetime admin, Action drain) : IHandoffParticipant
{
    /// <inheritdoc />
    public IReadOnlyList<(IPEndPoint EndPoint, Socket Socket)> ListeningSockets => server.ListeningSockets;

    /// <inheritdoc />
    public Task PrepareAsync() => admin.StopAsync();

    /// <inheritdoc />
    public void HandedOff()
    {
        server.MarkHandedOff();
        drain();
    }

    /// <inheritdoc />
    public Task ResumeAsync() => admin.TryRestartAsync();
}

/// <summary>The admin endpoint across its life: started at boot, stopped for a handoff, restarted if the handoff fails.</summary>
internal sealed partial class AdminLifetime(IPEndPoint? endPoint, AdminState state, ILoggerFactory loggerFactory) : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private AdminServer? _server;

    /// <summary>Binds the endpoint (nothing when --admin off).</summary>
    /// <exception cref="AdminBindException">It cannot bind.</exception>
    public Task StartAsync() => StartAsync(endPoint);

    private async Task StartAsync(IPEndPoint? at)
    {
        if (at is null)
        {
            return;
        }

        await _gate.WaitAsync();
        try
        {
            _server ??= await AdminServer.StartAsync(at, state, loggerFactory);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task StopAsync()
    {
        await _gate.WaitAsync();
        try
        {
            if (_server is { } server)
            {
                _server = null;
                await server.DisposeAsync();
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>After a failed handoff: bind again; a failure is logged (the relay keeps serving without it).</summary>
    public async Task TryRestartAsync()
    {
        try
        {
            await StartAsync(state.AdminEndPoint ?? endPoint); // The same port, also when 0 was asked for.
        }
        catch (AdminBindException ex)
        {
            Log.RestartFailed(loggerFactory.CreateLogger("FastRelay.Admin"), ex.Message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _gate.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 813, EventName = "HandoffAborted", Level = LogLevel.Error,
            Message = "After the failed handoff the admin endpoint could not be bound again: {Reason}")]
        public static partial void RestartFailed(ILogger logger, string reason);
    }
}
