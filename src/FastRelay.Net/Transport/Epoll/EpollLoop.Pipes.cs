namespace FastRelay.Transport.Epoll;

/// <summary>The loop's splice pipes: taken by a bulk flow for a round, given back empty (<see cref="SplicePipes"/>).</summary>
internal sealed partial class EpollLoop
{
    private readonly Stack<SplicePipe> _idlePipes = new(); // Empty pipes for the next bulk flow; loop thread only.

    /// <summary>An empty pipe for a bulk flow: one this loop kept, or a new one within the engine's budget (none with <c>--splice off</c>). Loop thread only.</summary>
    internal bool TryTakePipe(out SplicePipe pipe)
    {
        if (_idlePipes.TryPop(out pipe))
        {
            _pipes!.NoteIdle(-1);
            return true;
        }

        return _pipes is not null && _pipes.TryOpen(out pipe);
    }

    /// <summary>Empty pipes a loop keeps: one serves its bulk flows in turn; more, held after a burst of slow receivers, would starve other loops of the engine's budget.</summary>
    internal const int MaxIdlePipes = 2;

    /// <summary>Keeps an empty pipe for the next bulk flow, or closes it when the loop already keeps enough. Loop thread only.</summary>
    internal void ReturnPipe(SplicePipe pipe)
    {
        if (_idlePipes.Count < MaxIdlePipes)
        {
            _idlePipes.Push(pipe);
            _pipes!.NoteIdle(1);
        }
        else
        {
            _pipes!.Close(pipe);
        }
    }

    /// <summary>Closes a pipe that still holds bytes (its flow ended without sending them). Loop thread only.</summary>
    internal void DiscardPipe(SplicePipe pipe) => _pipes!.Close(pipe);

    private void CloseIdlePipes()
    {
        while (_idlePipes.TryPop(out var pipe))
        {
            _pipes!.NoteIdle(-1);
            _pipes.Close(pipe);
        }
    }
}
