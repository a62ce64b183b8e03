namespace FastRelay.Bench.Phases;

/// <summary>Where a time-bound phase is; loops read it between operations.</summary>
internal enum Stage
{
    /// <summary>Running but not recording (JIT, TCP windows, pools warming up).</summary>
    Warmup,

    /// <summary>Recording latencies and counting operations.</summary>
    Measuring,

    /// <summary>Loops finish their current operation, close their connections and return.</summary>
    Stopped,
}

/// <summary>
/// The stage flag shared by a phase's loops. A volatile int is enough: loops only need to see a change soon,
/// and an operation that straddles a change is counted by the stage it ends in.
/// </summary>
internal sealed class PhaseStage
{
    private volatile int _stage = (int)Stage.Warmup;

    /// <summary>The stage now.</summary>
    public Stage Current => (Stage)_stage;

    /// <summary>Moves to <paramref name="stage"/>; callable from any thread.</summary>
    public void Set(Stage stage) => _stage = (int)stage;
}
