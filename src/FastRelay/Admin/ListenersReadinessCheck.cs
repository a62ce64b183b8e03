namespace FastRelay.Admin;

/// <summary>Ready while every listener is bound and accepting; not ready before start and once draining (so load balancers move away first).</summary>
internal sealed class ListenersReadinessCheck(AdminState state) : IReadinessCheck
{
    /// <inheritdoc />
    public string Name => "listeners";

    /// <inheritdoc />
    public bool IsReady(out string detail)
    {
        if (state.Server is not { } server)
        {
            detail = "not bound yet";
            return false;
        }

        if (server.IsStopping)
        {
            detail = "draining";
            return false;
        }

        detail = $"{server.Listeners.Count} bound";
        return true;
    }
}
