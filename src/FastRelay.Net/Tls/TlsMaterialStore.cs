using FastRelay.Configuration;

namespace FastRelay.Tls;

/// <summary>
/// The reloadable certificate store of a TLS edge: the current <see cref="TlsMaterial"/> behind one volatile
/// reference. Handshakes read it once at their start; a reload swaps in a fully loaded replacement, and a
/// failed one keeps the running material (ghostunnel's certloader). Established connections are untouched.
/// </summary>
/// <remarks>Thread-safe: readers never lock; reloads are serialised.</remarks>
internal sealed class TlsMaterialStore
{
    private readonly TimeProvider _time;
    private readonly Lock _reloading = new();
    private volatile TlsMaterial _current;
    private int _version = 1;

    private TlsMaterialStore(TlsOptions options, TlsMaterial material, TimeProvider time, IRevocationChecker? revocation)
    {
        Options = options;
        _current = material;
        _time = time;
        Revocation = revocation;
    }

    /// <summary>The flags the files come from.</summary>
    public TlsOptions Options { get; }

    /// <summary>The material handshakes use now.</summary>
    public TlsMaterial Current => _current;

    /// <summary>Loads so far (1 at start, +1 per successful reload).</summary>
    public int Version => Volatile.Read(ref _version);

    /// <summary>Checks revocation after each handshake; null for none.</summary>
    public IRevocationChecker? Revocation { get; }

    /// <summary>Loads the files for the first time.</summary>
    /// <exception cref="TlsLoadException">Anything failed; the message lists every problem, one per line.</exception>
    public static TlsMaterialStore Load(TlsOptions options, TimeProvider time, IRevocationChecker? revocation = null)
    {
        var errors = new List<string>();
        var material = TlsMaterial.TryLoad(options, time, keepChains: revocation is not null, errors);
        return material is null
            ? throw new TlsLoadException(string.Join(Environment.NewLine, errors))
            : new TlsMaterialStore(options, material, time, revocation);
    }

    /// <summary>Reloads every file; on any problem keeps the current material and lists why in <paramref name="errors"/>.</summary>
    /// <returns>True when the new material is in use.</returns>
    public bool TryReload(List<string> errors)
    {
        lock (_reloading)
        {
            var material = TlsMaterial.TryLoad(Options, _time, keepChains: Revocation is not null, errors);
            if (material is null)
            {
                return false;
            }

            _current = material;
            Interlocked.Increment(ref _version);
            return true;
        }
    }
}
