using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using FastRelay.Tls.Revocation;
using Microsoft.Extensions.Logging;

namespace FastRelay.Tls.Stapling;

/// <summary>
/// <c>--ocsp-staple FILE</c>: an OCSP response the operator provides (e.g. a cron job running
/// <c>openssl ocsp ... -respout FILE</c>), validated for the server certificate and stapled to every
/// handshake through <see cref="StapledResponse"/>. The file is re-read when it changes (200 ms debounce);
/// a bad new file keeps the stapled one and logs why; at the response's nextUpdate stapling stops (an
/// expired staple makes strict clients fail) with a warning until a new file arrives.
/// </summary>
/// <remarks>Thread-safe: changes are serialised; handshakes read the runtime's field, which is swapped whole.</remarks>
internal sealed partial class OcspStapleFile : IDisposable
{
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(200);

    private readonly string _path;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly FileSystemWatcher _watcher;
    private readonly ITimer _reloadTimer;
    private readonly ITimer _expiryTimer;
    private readonly Lock _lock = new();
    private SslStreamCertificateContext? _context;
    private X509Certificate2? _issuer;

    public OcspStapleFile(string path, ILogger logger, TimeProvider time)
    {
        _path = Path.GetFullPath(path);
        _logger = logger;
        _time = time;
        _reloadTimer = time.CreateTimer(_ => Reload("file changed"), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _expiryTimer = time.CreateTimer(_ => Expire(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _watcher = new FileSystemWatcher(Path.GetDirectoryName(_path)!, Path.GetFileName(_path))
        {
            NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.CreationTime,
        };
        _watcher.Changed += OnChanged;
        _watcher.Created += OnChanged;
        _watcher.Renamed += OnChanged;
        _watcher.EnableRaisingEvents = true;
    }

    /// <summary>When the stapled response stops being valid; null while nothing is stapled.</summary>
    public DateTimeOffset? NextUpdate { get; private set; }

    /// <summary>
    /// Validates the file for <paramref name="context"/>'s certificate and staples it there; call it right
    /// after creating the context (and again for each new context after a certificate reload), before the
    /// first handshake. <paramref name="issuer"/> enables the signature check; without it the first
    /// intermediate of the context is used, and without that only the serial and issuer name are checked.
    /// </summary>
    /// <exception cref="RevocationLoadException">The file is missing or unfit, or this runtime cannot staple it; the message says which.</exception>
    public void Attach(SslStreamCertificateContext context, X509Certificate2? issuer = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        lock (_lock)
        {
            var error = TryStaple(context, issuer ?? context.IntermediateCertificates.FirstOrDefault());
            if (error is not null)
            {
                throw new RevocationLoadException($"--ocsp-staple {_path}: {error}");
            }

            _context = context;
            _issuer = issuer;
        }
    }

    /// <summary>Re-reads the file for the current context (SIGHUP, file change). Returns true when a new response is stapled.</summary>
    public bool Reload(string trigger)
    {
        lock (_lock)
        {
            if (_context is null)
            {
                return false;
            }

            try
            {
                var error = TryStaple(_context, _issuer ?? _context.IntermediateCertificates.FirstOrDefault());
                if (error is not null)
                {
                    Log.StapleReloadFailed(_logger, _path, trigger, error);
                    return false;
                }
            }
            catch (Exception ex)
            {
                // A parser bug must not take the relay down from a timer thread: keep the stapled response.
                Log.StapleReloadCrashed(_logger, ex, _path, trigger);
                return false;
            }

            Log.StapleReloaded(_logger, _path, trigger, NextUpdate!.Value);
            return true;
        }
    }

    public void Dispose()
    {
        _watcher.Dispose();
        _reloadTimer.Dispose();
        _expiryTimer.Dispose();
    }

    private string? TryStaple(SslStreamCertificateContext context, X509Certificate2? issuer)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(_path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"cannot read ({ex.Message})";
        }

        var now = _time.GetUtcNow();
        if (!OcspStapleValidator.TryValidate(bytes, context.TargetCertificate, issuer, now, out var der, out var nextUpdate, out var error))
        {
            return error;
        }

        if (!StapledResponse.TryAttach(context, der, nextUpdate, out error))
        {
            return error;
        }

        NextUpdate = nextUpdate;
        _expiryTimer.Change(nextUpdate - now, Timeout.InfiniteTimeSpan);
        return null;
    }

    private void Expire()
    {
        lock (_lock)
        {
            if (_context is null || NextUpdate is not { } expiry || _time.GetUtcNow() < expiry)
            {
                return;
            }

            // Not attaching can only fail for a runtime that already failed at Attach: nothing to undo then.
            _ = StapledResponse.TryAttach(_context, null, default, out _);
            NextUpdate = null;
            Log.StapleExpired(_logger, _path, expiry);
        }
    }

    private void OnChanged(object sender, FileSystemEventArgs e) => _reloadTimer.Change(Debounce, Timeout.InfiniteTimeSpan);

    private static partial class Log
    {
        [LoggerMessage(EventId = 470, EventName = "OcspStapleReloaded", Level = LogLevel.Information,
            Message = "OCSP staple {Path} reloaded ({Trigger}): good until {NextUpdate}")]
        public static partial void StapleReloaded(ILogger logger, string path, string trigger, DateTimeOffset nextUpdate);

        [LoggerMessage(EventId = 471, EventName = "OcspStapleReloadFailed", Level = LogLevel.Warning,
            Message = "OCSP staple {Path} not reloaded ({Trigger}); the stapled response stays: {Reason}")]
        public static partial void StapleReloadFailed(ILogger logger, string path, string trigger, string reason);

        [LoggerMessage(EventId = 472, EventName = "OcspStapleExpired", Level = LogLevel.Warning,
            Message = "OCSP staple {Path} expired at {NextUpdate}: nothing is stapled until the file holds a current response")]
        public static partial void StapleExpired(ILogger logger, string path, DateTimeOffset nextUpdate);

        [LoggerMessage(EventId = 473, EventName = "OcspStapleReloadCrashed", Level = LogLevel.Error,
            Message = "OCSP staple {Path} not reloaded ({Trigger}): the loader failed unexpectedly; the stapled response stays")]
        public static partial void StapleReloadCrashed(ILogger logger, Exception exception, string path, string trigger);
    }
}
