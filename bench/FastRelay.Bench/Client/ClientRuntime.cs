namespace FastRelay.Bench.Client;

/// <summary>
/// Runs the harness's socket continuations inline on the epoll threads (DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1)
/// unless the user chose otherwise.
/// </summary>
/// <remarks>
/// Measured on the 2-core dev machine (direct path, 1 connection): with the default thread-pool dispatch the
/// idle workers spin and the harness burns ~195 % CPU for one ping-pong connection, leaving the relay nothing on a
/// 2-core box; inline it uses ~85 %, and 200 to 1000 sessions ran 15-50 % more exchanges/s. The client's work per
/// completion is tiny, which is the case inline completions are for. The variable is read once, when the first
/// socket operation starts the engine, so it must be set before any socket is touched.
/// The relay we start must not inherit it (it would change the thing under test); see <see cref="HarnessSetInline"/>.
/// </remarks>
internal static class ClientRuntime
{
    /// <summary>The runtime's switch for inline socket completions on Unix.</summary>
    public const string InlineCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>Whether the harness set the variable itself (so child processes should not get it).</summary>
    public static bool HarnessSetInline { get; private set; }

    /// <summary>Whether this process runs socket completions inline.</summary>
    public static bool InlineCompletions => Environment.GetEnvironmentVariable(InlineCompletionsVariable) == "1";

    /// <summary>Sets the variable unless the user set it; call first thing in Main.</summary>
    public static void Configure()
    {
        if (Environment.GetEnvironmentVariable(InlineCompletionsVariable) is null)
        {
            Environment.SetEnvironmentVariable(InlineCompletionsVariable, "1");
            HarnessSetInline = true;
        }
    }
}
