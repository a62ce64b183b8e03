using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FastRelay.Backends;
using FastRelay.Bench.Cli;
using FastRelay.Bench.Targets;

namespace FastRelay.Bench.Running;

/// <summary>
/// The echo and the sink a run measures against: in this process by default, or each in its own child process
/// (this executable's <c>backend</c> command) with <c>--child-backends</c>.
/// </summary>
/// <remarks>
/// In-process is cheapest to run. Child processes keep the backends' CPU out of "harness CPU" (it is reported
/// as "backends CPU") and keep their GC and threads apart from the client's, as real backends are. On the 2-core
/// dev machine both gave the same one-connection p50 (17 µs idle; 56 µs while other builds ran).
/// </remarks>
internal sealed class BackendSet : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _owned = [];

    private BackendSet()
    {
    }

    /// <summary>Where the echo backend listens.</summary>
    public IPEndPoint Echo { get; private set; } = null!;

    /// <summary>Where the sink backend listens.</summary>
    public IPEndPoint Sink { get; private set; } = null!;

    /// <summary>The backend processes (empty when in-process), for CPU accounting.</summary>
    public List<Process> Processes { get; } = [];

    /// <summary>
    /// Starts both backends. On failure returns an error and whether it was the user's address (exit 2) rather
    /// than something else (exit 1); whatever had started is stopped.
    /// </summary>
    public static async Task<(BackendSet? Set, string? Error, bool BadAddress)> StartAsync(RunOptions options, CancellationToken cancellationToken)
    {
        var set = new BackendSet();
        var echo = await set.StartOneAsync(options, BackendMode.Echo, options.EchoBackend, cancellationToken);
        var sink = echo.Error is null ? await set.StartOneAsync(options, BackendMode.Sink, options.SinkBackend, cancellationToken) : default;
        var failed = echo.Error is not null ? echo : sink;
        if (failed.Error is not null)
        {
            await set.DisposeAsync();
            return (null, failed.Error, failed.BadAddress);
        }

        (set.Echo, set.Sink) = (echo.EndPoint!, sink.EndPoint!);
        return (set, null, false);
    }

    private async Task<(IPEndPoint? EndPoint, string? Error, bool BadAddress)> StartOneAsync(
        RunOptions options, BackendMode mode, IPEndPoint listen, CancellationToken cancellationToken)
    {
        var option = mode == BackendMode.Echo ? "--echo-backend" : "--sink-backend";
        if (!options.ChildBackends)
        {
            try
            {
                var backend = LoopbackBackend.Start(listen, mode);
                _owned.Add(backend);
                return (backend.EndPoint, null, false);
            }
            catch (SocketException ex)
            {
                return (null, $"{option}: cannot bind {listen} ({ex.SocketErrorCode}: {ex.Message})", true);
            }
        }

        var (child, endPoint, error) = await BackendProcess.StartAsync(mode, listen, cancellationToken);
        if (child is null)
        {
            return (null, $"{option}: {error}", error?.Contains("exited with code 2", StringComparison.Ordinal) == true);
        }

        _owned.Add(child);
        Processes.Add(child.Process);
        return (endPoint, null, false);
    }

    /// <summary>Stops both backends (killing the child processes by PID).</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var owned in _owned)
        {
            await owned.DisposeAsync();
        }
    }
}
