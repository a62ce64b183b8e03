namespace FastRelay.Hosting;

/// <summary>
/// Runs socket completions inline on the runtime's epoll threads instead of handing each one to the thread
/// pool. The relay's continuations never block (receive, copy into a pipe, send), so the hop buys nothing
/// and costs a wake-up per chunk: on one ping-pong connection, on a quiet 2-core machine, inline gave
/// +24-33 µs added p50 against +42-54 µs with the hop, at half the relay CPU (47-56 % against 87-137 %;
/// the pool's idle workers spin). Numbers and runs in bench/README.md.
/// </summary>
/// <remarks>
/// The runtime reads the variable once, when the first socket operation initialises its engine, so this
/// must run first thing in Main. An operator who sets it (to 0, say) keeps their value.
/// </remarks>
internal static class SocketEngineSettings
{
    /// <summary>The runtime's switch (System.Net.Sockets, SocketAsyncEngine.Unix.cs).</summary>
    public const string InlineCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>Turns inline completions on unless the environment already decides.</summary>
    public static void Apply()
    {
        if (Environment.GetEnvironmentVariable(InlineCompletionsVariable) is null)
        {
            Environment.SetEnvironmentVariable(InlineCompletionsVariable, "1");
        }
    }
}
