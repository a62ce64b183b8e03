using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace FastRelay.Transport.Epoll;

/// <summary>
/// The epoll relay's loops for one edge: one per core, started with the edge (<see cref="StartLoops"/>; an edge with
/// TLS or <c>--bandwidth</c> has no engine at all), each connection on the next loop in turn.
/// </summary>
internal sealed class EpollEngine : IDisposable
{
    private readonly BlockMemoryPool _blocks;
    private readonly SplicePipes? _pipes;
    private readonly int _loopCount;
    private readonly Microsoft.Extensions.Logging.ILogger? _logger;
    private readonly Lock _gate = new();
    private EpollLoop[]? _loops;
    private uint _next;
    private bool _disposed;

    /// <summary>
    /// Creates the engine; its threads and descriptors come with <see cref="StartLoops"/> (or the first <see cref="NextLoop"/>).
    /// Bulk flows splice through at most <paramref name="splicePipes"/> pipes (0: they copy through blocks, <c>--splice off</c>).
    /// </summary>
    public EpollEngine(BlockMemoryPool blocks, int loopCount, Microsoft.Extensions.Logging.ILogger? logger = null, int splicePipes = SplicePipes.DefaultMax)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(splicePipes);
        _logger = logger;
        _pipes = splicePipes > 0 ? new SplicePipes(splicePipes) : null;
        ArgumentOutOfRangeException.ThrowIfLessThan(loopCount, 1);
        _blocks = blocks;
        _loopCount = loopCount;
    }

    /// <summary>
    /// Linux on x86-64 (the syscall layouts of <see cref="LinuxSyscalls"/>): elsewhere the edge relays through
    /// pipes only.
    /// </summary>
    public static bool IsSupported => OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64;

    /// <summary>Splice pipes open on all loops (idle or holding bytes).</summary>
    public int OpenPipes => _pipes?.Open ?? 0;

    /// <summary>Splice pipes flows hold right now (bytes waiting for a full receiver, or a round under way).</summary>
    public int PipesInUse => _pipes?.InUse ?? 0;

    /// <summary>Empty splice pipes the loops keep.</summary>
    public int PipesIdle => _pipes?.Idle ?? 0;

    /// <summary>Relays running on all loops.</summary>
    public int Active => Volatile.Read(ref _loops) is { } loops ? loops.Sum(l => l.Active) : 0;

    /// <summary>
    /// Starts the loops now rather than on the first connection: the edge calls it at start, so the first dial does
    /// not pay for two threads and their descriptors (a slow first connect weighs on that backend's connect-time
    /// average, which power-of-two-choices breaks ties with, for a few seconds).
    /// </summary>
    public void StartLoops() => _ = Volatile.Read(ref _loops) ?? Start();

    /// <summary>The loop for the next connection; null once disposed, or when the kernel refused a loop's descriptors (the caller then relays through pipes).</summary>
    public EpollLoop? NextLoop()
    {
        var loops = Volatile.Read(ref _loops) ?? Start();
        if (loops is null)
        {
            return null;
        }

        var loop = loops[Interlocked.Increment(ref _next) % (uint)loops.Length];
        return loop.IsStopped ? null : loop; // A loop ended by an epoll_wait error: the pipes carry its share.
    }

    /// <summary>
    /// Connects <paramref name="socket"/> without registering it with the runtime's socket engine (<see cref="EpollConnect"/>);
    /// after <see cref="Dispose"/>, with <c>Socket.ConnectAsync</c>.
    /// </summary>
    public async Task ConnectAsync(Socket socket, System.Net.IPEndPoint endPoint, CancellationToken cancellationToken)
    {
        if (NextLoop() is { } loop)
        {
            await EpollConnect.ConnectAsync(socket, endPoint, loop, cancellationToken);
        }
        else
        {
            await socket.ConnectAsync(endPoint, cancellationToken);
        }
    }

    /// <inheritdoc />
    /// <remarks>Call after the edge's connections have ended: a relay still running is aborted.</remarks>
    public void Dispose()
    {
        EpollLoop[]? loops;
        lock (_gate)
        {
            _disposed = true;
            loops = _loops;
            _loops = null;
        }

        foreach (var loop in loops ?? [])
        {
            loop.Stop();
        }
    }

    private EpollLoop[]? Start()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return null;
            }

            if (_loops is null)
            {
                var loops = new List<EpollLoop>(_loopCount);
                try
                {
                    for (var i = 0; i < _loopCount; i++)
                    {
                        loops.Add(new EpollLoop(_blocks, i, _logger, _pipes));
                    }
                }
                catch (IOException)
                {
                    // Out of descriptors: no loop now (the connection takes the pipe path); the next one tries again.
                    loops.ForEach(l => l.Stop());
                    return null;
                }

                Volatile.Write(ref _loops, loops.ToArray());
            }

            return _loops;
        }
    }
}
