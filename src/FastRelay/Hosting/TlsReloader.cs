using FastRelay.Tls;
using Microsoft.Extensions.Logging;

namespace FastRelay.Hosting;

/// <summary>
/// Keeps the TLS certificate store in step with its files (<c>--tls-cert</c>, <c>--tls-key</c>,
/// <c>--client-ca</c>): reloads all of them when any changes (editors, cert-manager style renames and Kubernetes
/// Secret symlink swaps included: <see cref="FileChangeWatch"/>) and when EdgeHost relays a SIGHUP. A new set is loaded and checked in full before it replaces
/// the running one; a bad file keeps the old set and the warning names the file and the problem.
/// </summary>
/// <remarks>
/// Change events come in bursts (a certificate and its key are often written one after the other): a reload
/// runs 500 ms after the last one. Established connections keep the certificate they were made with; new
/// handshakes use the new one.
/// </remarks>
internal sealed partial class TlsReloader : IDisposable
{
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(500);

    private readonly TlsMaterialStore _store;
    private readonly ILogger _logger;
    private readonly List<FileSystemWatcher> _watchers = [];
    private readonly Timer _timer;
    private readonly Lock _reloading = new();

    public TlsReloader(TlsMaterialStore store, ILogger logger)
    {
        _store = store;
        _logger = logger;
        _timer = new Timer(_ => Reload("file changed"));
        var files = new[] { store.Options.CertificateFile, store.Options.KeyFile, store.Options.ClientCaFile, store.Options.OcspStapleFile }.OfType<string>().Select(Path.GetFullPath);
        foreach (var file in files.Distinct(StringComparer.Ordinal))
        {
            _watchers.Add(FileChangeWatch.Start(file, OnChanged));
        }

        Log.TlsLoaded(_logger, _store.Current.Server, _store.Options.ClientCaFile ?? "(none: no client certificates)",
            _store.Current.ClientCa?.Certificates.Count ?? 0);
    }

    /// <summary>Why the last <see cref="Reload"/> refused the files (for POST /reload's answer); empty after one that worked.</summary>
    public IReadOnlyList<string> LastErrors { get; private set; } = [];

    /// <summary>Reloads now; returns true when the new files are in use.</summary>
    public bool Reload(string trigger)
    {
        lock (_reloading)
        {
            var errors = new List<string>();
            LastErrors = errors;
            try
            {
                if (!_store.TryReload(errors))
                {
                    Log.TlsReloadFailed(_logger, trigger, string.Join(Environment.NewLine + "  ", errors));
                    return false;
                }
            }
            catch (Exception ex)
            {
                // A loader bug must not take the relay down from a timer thread: keep the running certificates.
                errors.Add($"unexpected {ex.GetType().Name}: {ex.Message}");
                Log.TlsReloadFailed(_logger, trigger, errors[^1]);
                return false;
            }

            Log.TlsReloaded(_logger, trigger, _store.Current.Server, _store.Current.ClientCa?.Certificates.Count ?? 0, _store.Version);
            return true;
        }
    }

    public void Dispose()
    {
        _watchers.ForEach(w => w.Dispose());
        _timer.Dispose();
    }

    private void OnChanged(object sender, FileSystemEventArgs e) => _timer.Change(Debounce, Timeout.InfiniteTimeSpan);

    private static partial class Log
    {
        [LoggerMessage(EventId = 405, EventName = "TlsMaterialLoaded", Level = LogLevel.Information,
            Message = "TLS on every listener: certificate {Certificate}; client CA bundle {ClientCa} ({CaCount} CAs)")]
        public static partial void TlsLoaded(ILogger logger, ServerCertificate certificate, string clientCa, int caCount);

        [LoggerMessage(EventId = 403, EventName = "TlsMaterialReloaded", Level = LogLevel.Information,
            Message = "TLS files reloaded ({Trigger}): certificate {Certificate}; {CaCount} client CAs; version {Version}. Open connections keep their certificate")]
        public static partial void TlsReloaded(ILogger logger, string trigger, ServerCertificate certificate, int caCount, int version);

        [LoggerMessage(EventId = 404, EventName = "TlsMaterialReloadFailed", Level = LogLevel.Warning,
            Message = "TLS files not reloaded ({Trigger}); the running certificate and CA bundle stay:\n  {Errors}")]
        public static partial void TlsReloadFailed(ILogger logger, string trigger, string errors);
    }
}
