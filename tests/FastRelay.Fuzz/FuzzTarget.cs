namespace FastRelay.Fuzz;

/// <summary>One fuzzed input: must return, or throw only the parser's named error (which the target catches).</summary>
/// <param name="data">The bytes the fuzzer (or the corpus replay) feeds in.</param>
public delegate void FuzzInput(ReadOnlySpan<byte> data);

/// <summary>
/// A fuzz target: a name (<c>tools/fuzz.sh NAME</c>, and the corpus folder <c>tests/fuzz-corpus/NAME/</c>) and the
/// code one input runs. Contract of <see cref="Run"/>: for any bytes it returns normally; the parser's expected
/// error for bad input (a <c>ConfigException</c> listing what is wrong, say) is caught inside it; any other
/// exception escapes and is a finding (AFL++ records the input as a crash, the replay test fails).
/// </summary>
/// <param name="Name">The target's name: lower case, no spaces.</param>
/// <param name="Description">What it drives, for <c>fastrelay-fuzz --list</c>.</param>
/// <param name="Run">One input.</param>
public sealed record FuzzTarget(string Name, string Description, FuzzInput Run);
