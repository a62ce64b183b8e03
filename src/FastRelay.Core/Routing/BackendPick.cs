using FastRelay.Configuration;

namespace FastRelay.Routing;

/// <summary>The outcome of <see cref="BackendPicker.Pick"/>.</summary>
/// <param name="Target">The target to dial; null when every candidate was excluded.</param>
/// <param name="Backend">Its state, to report the dial and the session's end to.</param>
/// <param name="Panic">True when every remaining candidate was down or ejected and one was picked anyway.</param>
public readonly record struct BackendPick(TargetOptions? Target, BackendState? Backend, bool Panic)
{
    /// <summary>True when a target was picked.</summary>
    public bool Found => Target is not null;
}
