using System.IO.Pipelines;

namespace FastRelay.Relaying;

/// <summary>
/// One side of a relayed connection as a pair of pipes: bytes from the peer arrive on
/// <see cref="IDuplexPipe.Input"/>, bytes written to <see cref="IDuplexPipe.Output"/> go to the peer.
/// Implemented over sockets in FastRelay.Net (and later over TLS and tunnel streams); the relay core
/// sees only this.
/// </summary>
/// <remarks>
/// Contract the relay relies on:
/// <list type="bullet">
/// <item>The peer's FIN completes <c>Input</c> without an exception; a reset or socket failure completes it
/// with one.</item>
/// <item>Completing <c>Output</c> sends everything written so far and then a FIN (half-close): the other
/// direction keeps flowing.</item>
/// <item>If the peer can no longer receive, the reader of <c>Output</c> completes, so
/// <see cref="PipeWriter.FlushAsync"/> returns <see cref="FlushResult.IsCompleted"/>.</item>
/// <item><see cref="Abort"/> may be called from any thread, any number of times.</item>
/// </list>
/// </remarks>
public interface IPipeConnection : IDuplexPipe
{
    /// <summary>
    /// Closes at once, without waiting for unsent bytes: the peer sees a reset, and pending reads on
    /// <c>Input</c> complete with an error. Thread-safe and idempotent.
    /// </summary>
    void Abort();
}
