namespace FastRelay.Configuration;

/// <summary>Whether bulk flows on the epoll data path move through splice(2) pipes instead of the relay's memory (<c>--splice</c>).</summary>
public enum SpliceMode
{
    /// <summary>A flow whose read fills a whole buffer block splices from then on: the kernel moves the pages, the relay copies nothing.</summary>
    On,

    /// <summary>Every byte is read into the relay's block and sent from there (recv and send).</summary>
    Off,
}
