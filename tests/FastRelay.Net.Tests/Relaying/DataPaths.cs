namespace FastRelay.Net.Tests.Relaying;

/// <summary>
/// The two ways a plain TCP connection can move its bytes (<c>--data-path</c>): the relaying tests run on both, since
/// both promise the same contract (half-close, resets and their reasons, drain, byte-exact forwarding).
/// </summary>
public static class DataPaths
{
    /// <summary>epoll (the default on Linux x86-64) and pipes.</summary>
    public static TheoryData<string> Both => new() { "epoll", "pipes" };
}
