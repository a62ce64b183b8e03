using System.Runtime.InteropServices;
using static FastRelay.Transport.Epoll.LinuxSyscalls;

namespace FastRelay.Transport.Epoll;

/// <summary>
/// The pipes an <see cref="EpollEngine"/>'s loops splice bulk flows through (splice(2): socket to pipe to socket,
/// the kernel moves page references and the relay copies nothing). A pipe costs two descriptors, so the engine has
/// a fixed budget of them (<see cref="Max"/>, reserved when the edge sizes its connection limit to the descriptor
/// limit); each loop keeps the empty ones it made for reuse.
/// </summary>
/// <remarks>
/// Why a budget and not a pipe per connection: a flow needs its pipe only while bytes sit in it, i.e. between its two
/// splices or while the far side is full; it gives it back, empty, once its source is drained. Most of the time a loop uses
/// one pipe for all its bulk flows in turn; only flows held up by a slow receiver keep one each, and when the budget
/// is used up a flow copies through a block as small transfers always do. HAProxy bounds its pipes the same way
/// (<c>maxpipes</c>).
/// </remarks>
internal sealed unsafe class SplicePipes(int max)
{
    /// <summary>Pipes per engine by default: 32 (64 descriptors), whatever the number of loops.</summary>
    public const int DefaultMax = 32;

    private int _open;
    private int _idle;

    /// <summary>The most pipes open at once (with <c>--splice off</c> the engine has no <see cref="SplicePipes"/> at all).</summary>
    public int Max { get; } = max;

    /// <summary>Pipes open right now, idle or holding bytes.</summary>
    public int Open => Volatile.Read(ref _open);

    /// <summary>Pipes a flow holds right now: bytes wait in them for a full receiver (or a splice round is under way).</summary>
    public int InUse => Math.Max(0, Volatile.Read(ref _open) - Volatile.Read(ref _idle)); // Two reads: never below 0.

    /// <summary>Empty pipes the loops keep for their next bulk flows.</summary>
    public int Idle => Volatile.Read(ref _idle);

    /// <summary>A loop keeps (+1) or takes back (-1) an idle pipe.</summary>
    public void NoteIdle(int change) => Interlocked.Add(ref _idle, change);

    /// <summary>Opens a non-blocking pipe within the budget; false when the budget is used up or the kernel refused one.</summary>
    public bool TryOpen(out SplicePipe pipe)
    {
        pipe = default;
        if (Interlocked.Increment(ref _open) > Max)
        {
            Interlocked.Decrement(ref _open);
            return false;
        }

        var descriptors = stackalloc int[2];
        if (Pipe(descriptors, PipeNonBlocking | CloseOnExec) != 0)
        {
            Interlocked.Decrement(ref _open); // EMFILE, ENFILE or the user's pipe-buffer quota: copy instead.
            return false;
        }

        pipe = new SplicePipe(descriptors[0], descriptors[1]);
        return true;
    }

    /// <summary>Closes <paramref name="pipe"/> and gives its descriptors back to the budget (also one that still holds bytes).</summary>
    public void Close(SplicePipe pipe)
    {
        _ = LinuxSyscalls.Close(pipe.Read); // Nothing to do on failure: the descriptors are gone either way.
        _ = LinuxSyscalls.Close(pipe.Write);
        Interlocked.Decrement(ref _open);
    }
}

/// <summary>The two ends of one splice pipe.</summary>
[StructLayout(LayoutKind.Auto)]
internal readonly record struct SplicePipe(int Read, int Write);
