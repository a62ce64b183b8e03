using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace FastRelay.Tls.Revocation;

/// <summary>
/// The CRLs of <c>--crl</c>, kept in step with their files: each file is re-read when it changes (200 ms
/// after the last change event, like the policy reloader) and on <see cref="Reload"/> (SIGHUP); a file that
/// no longer loads keeps its previous CRL and the reason is logged (ghostunnel certloader, STYLE.md H7).
/// </summary>
/// <remarks>Lookups read one volatile snapshot and never lock; reloads are serialised.</remarks>
internal sealed partial class CrlStore : IDisposable
{
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(200);

    private readonly string[] _paths;
    private readonly string _flag;
    private readonly string _bundleFlag;
    private volatile ILogger _logger;
    private readonly Dictionary<string, LoadedCrl> _lastGood = new(StringComparer.Ordinal);
    private readonly List<FileSystemWatcher> _watchers = [];
    private readonly Timer _timer;
    private readonly Lock _reloading = new();
    private X509Certificate2Collection _trustedCas;
    private volatile CrlSnapshot _current = CrlSnapshot.Empty;

    /// <summary>Loads every file now; throws <see cref="RevocationLoadException"/> listing each that fails (bad input fails at startup).</summary>
    /// <remarks><paramref name="flag"/> and <paramref name="bundleFlag"/> name the files' flags in errors (see <see cref="CrlLoader.Load"/>).</remarks>
    public CrlStore(IReadOnlyList<string> paths, X509Certificate2Collection trustedCas, ILogger logger, string flag = "--crl", string bundleFlag = "--client-ca")
    {
        _paths = [.. paths.Select(Path.GetFullPath)];
        _flag = flag;
        _bundleFlag = bundleFlag;
        _trustedCas = trustedCas;
        _logger = logger;
        var errors = new List<string>();
        foreach (var path in _paths)
        {
            try
            {
                _lastGood[path] = CrlLoader.Load(path, trustedCas, flag, bundleFlag);
            }
            catch (RevocationLoadException ex)
            {
                errors.Add(ex.Message);
            }
        }

        if (errors.Count > 0)
        {
            throw new RevocationLoadException(string.Join(Environment.NewLine, errors));
        }

        _current = new CrlSnapshot([.. _lastGood.Values]);
        _timer = new Timer(_ => Reload("file changed"));
        foreach (var directory in _paths.Select(Path.GetDirectoryName).Distinct(StringComparer.Ordinal))
        {
            // Watch the folder, not the file: 'ca crl' and editors rename a new file over the old one.
            var watcher = new FileSystemWatcher(directory!)
            {
                NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.CreationTime,
            };
            watcher.Changed += OnChanged;
            watcher.Created += OnChanged;
            watcher.Renamed += OnChanged;
            watcher.Deleted += OnChanged; // Said at once (the previous CRL stays), as a deleted certificate file is.
            watcher.EnableRaisingEvents = true;
            _watchers.Add(watcher);
        }
    }

    /// <summary>
    /// Where reloads are logged. Settable because the tunnel's CRLs are loaded with the flags, before the host has
    /// made its logger factory.
    /// </summary>
    public ILogger Logger
    {
        get => _logger;
        set => _logger = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>The CRLs in force.</summary>
    public CrlSnapshot Current => _current;

    /// <summary>Re-reads every file; a file that fails keeps its previous CRL. Returns how many files failed.</summary>
    public int Reload(string trigger)
    {
        lock (_reloading)
        {
            var failed = 0;
            foreach (var path in _paths)
            {
                try
                {
                    var crl = CrlLoader.Load(path, _trustedCas, _flag, _bundleFlag);
                    var changed = !_lastGood.TryGetValue(path, out var old) || old.ThisUpdate != crl.ThisUpdate || old.Revoked.Count != crl.Revoked.Count;
                    _lastGood[path] = crl;
                    if (changed)
                    {
                        Log.CrlReloaded(_logger, path, trigger, crl.Revoked.Count, crl.NextUpdate is { } next ? next.ToString("u", CultureInfo.InvariantCulture) : "none given");
                    }
                }
                catch (RevocationLoadException ex)
                {
                    failed++;
                    Log.CrlReloadFailed(_logger, path, trigger, ex.Message);
                }
                catch (Exception ex)
                {
                    // A parser bug must not take the relay down from a timer thread: keep the old CRL.
                    failed++;
                    Log.CrlReloadCrashed(_logger, ex, path, trigger);
                }
            }

            _current = new CrlSnapshot([.. _lastGood.Values]);
            return failed;
        }
    }

    /// <summary>Uses a new client CA bundle (after its reload) to verify CRLs, and re-reads them with it.</summary>
    /// <param name="trustedCas">The reloaded bundle.</param>
    /// <param name="trigger">What reloaded it (SIGHUP, POST /reload, a file change), for the CRLs' log lines.</param>
    public void ReplaceTrust(X509Certificate2Collection trustedCas, string trigger)
    {
        lock (_reloading)
        {
            _trustedCas = trustedCas;
        }

        Reload($"{trigger}, with the reloaded client CA bundle");
    }

    public void Dispose()
    {
        foreach (var watcher in _watchers)
        {
            watcher.Dispose();
        }

        _timer.Dispose();
    }

    private void OnChanged(object sender, FileSystemEventArgs e)
    {
        if (_paths.Contains(Path.GetFullPath(e.FullPath), StringComparer.Ordinal))
        {
            _timer.Change(Debounce, Timeout.InfiniteTimeSpan);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 460, EventName = "CrlReloaded", Level = LogLevel.Information,
            Message = "CRL {Path} reloaded ({Trigger}): {Revoked} revoked, next update {NextUpdate}")]
        public static partial void CrlReloaded(ILogger logger, string path, string trigger, int revoked, string nextUpdate);

        [LoggerMessage(EventId = 461, EventName = "CrlReloadFailed", Level = LogLevel.Warning,
            Message = "CRL {Path} not reloaded ({Trigger}); the previous CRL stays: {Reason}")]
        public static partial void CrlReloadFailed(ILogger logger, string path, string trigger, string reason);

        [LoggerMessage(EventId = 462, EventName = "CrlReloadCrashed", Level = LogLevel.Error,
            Message = "CRL {Path} not reloaded ({Trigger}): the loader failed unexpectedly; the previous CRL stays")]
        public static partial void CrlReloadCrashed(ILogger logger, Exception exception, string path, string trigger);
    }
}
