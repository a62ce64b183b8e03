namespace FastRelay.Transport.Epoll;

/// <summary>
/// What an <see cref="EpollLoop"/> drives: a relayed connection, or a connect waiting to complete. Every call is on the
/// loop thread, except <see cref="AbortOnLoopStop"/> for a handler posted after its loop stopped (then on the poster's).
/// </summary>
internal interface IEpollHandler
{
    /// <summary>The loop's slot while registered, -1 otherwise; the loop's business.</summary>
    int Slot { get; set; }

    /// <summary>The handler was posted (<see cref="EpollLoop.Post"/>): to be aborted or cancelled.</summary>
    void OnPosted();

    /// <summary>Readiness <paramref name="events"/> on the first descriptor it registered, or on the second.</summary>
    void OnEvents(uint events, bool secondSide);

    /// <summary>A flow that stopped at its read budget (<see cref="EpollLoop.ScheduleResume"/>) may go on.</summary>
    void OnResume(bool secondSide);

    /// <summary>
    /// The loop is stopping (or has stopped: then on the poster's thread) with this handler registered, or posted and
    /// not started yet: end it now. Also the backstop when a handler throws. Idempotent.
    /// </summary>
    void AbortOnLoopStop();
}
