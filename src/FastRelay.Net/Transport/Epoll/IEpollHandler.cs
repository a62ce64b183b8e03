namespace FastRelay.Transport.Epoll;

/// <summary>What an <see cref="EpollLoop"/> drives: a relayed connection, or a connect waiting to complete. Every call is on the loop thread.</summary>
internal interface IEpollHandler
{
    /// <summary>The loop's slot while registered, -1 otherwise; the loop's business.</summary>
    int Slot { get; set; }

    /// <summary>The handler was posted (<see cref="EpollLoop.Post"/>): to start, or to be aborted or cancelled.</summary>
    void OnPosted();

    /// <summary>Readiness <paramref name="events"/> on the first descriptor it registered, or on the second.</summary>
    void OnEvents(uint events, bool secondSide);

    /// <summary>The loop is stopping with this handler still registered: end it now.</summary>
    void AbortOnLoopStop();
}
