using FastRelay.CommandLine;
using FastRelay.Filtering;
using Microsoft.Extensions.Logging;

namespace FastRelay.Hosting;

/// <summary>
/// Keeps the running policy in step with its file: re-reads it when the file changes (editors that write a
/// new file and rename it over the old one included) and when EdgeHost relays a SIGHUP; a new version is validated in full and
/// swapped in whole, and a bad one is refused with every error logged while the old one stays.
/// </summary>
/// <remarks>
/// Change events come in bursts (truncate, write, rename): a reload runs 200 ms after the last one.
/// Established connections are not re-checked unless --recheck-established asks for it (policy-format.md, "Live changes").
/// </remarks>
internal sealed partial class PolicyReloader : IDisposable
{
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(200);

    private readonly string _path;
    private readonly PolicyGate _gate;
    private readonly ILogger _logger;
    private readonly FileSystemWatcher _watcher;
    private readonly Timer _timer;
    private readonly Lock _reloading = new();

    private readonly Func<int>? _recheck;

    /// <param name="recheck">With <c>--recheck-established</c>: decides the established connections again after a new
    /// policy is installed and returns how many it closed; null leaves them alone (policy-format.md, "Live changes").</param>
    public PolicyReloader(string path, DateTime loadedWriteTimeUtc, PolicyGate gate, ILogger logger, Func<int>? recheck = null)
    {
        _recheck = recheck;
        _path = Path.GetFullPath(path);
        _gate = gate;
        _logger = logger;
        _timer = new Timer(_ => Reload("file changed"));

        _watcher = FileChangeWatch.Start(_path, OnChanged); // Renames and symlink swaps included.

        // Changed between the first read and now (before the watcher saw anything)? Catch up.
        if (File.GetLastWriteTimeUtc(_path) != loadedWriteTimeUtc)
        {
            _timer.Change(Debounce, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Why the last <see cref="Reload"/> refused the file (for POST /reload's answer); empty after one that worked.</summary>
    public IReadOnlyList<string> LastErrors { get; private set; } = [];

    /// <summary>Reloads now; returns true when the new policy was installed.</summary>
    public bool Reload(string trigger)
    {
        lock (_reloading)
        {
            var errors = new List<string>();
            LastErrors = errors;
            SecurityPolicy? policy;
            try
            {
                policy = PolicyFile.TryLoad(_path, errors);
                if (policy is not null)
                {
                    _gate.Replace(policy); // Compiles it: inside the try as well.
                }
            }
            catch (Exception ex)
            {
                // A loader or compiler bug must not take the relay down from a timer thread: keep the running policy.
                errors.Add($"unexpected {ex.GetType().Name}: {ex.Message}");
                Log.PolicyReloadCrashed(_logger, ex, _path, trigger);
                return false;
            }

            if (policy is null)
            {
                Log.PolicyReloadFailed(_logger, _path, trigger, errors.Count, string.Join(Environment.NewLine + "  ", errors));
                return false;
            }

            var rules = policy.Groups.Sum(g => g.Rules.Count);
            Log.PolicyReloaded(_logger, _path, trigger, policy.Groups.Count, rules, _gate.Version);
            if (_recheck is not null)
            {
                try
                {
                    var closed = _recheck();
                    Log.EstablishedRechecked(_logger, closed, _gate.Version);
                }
                catch (Exception ex)
                {
                    // The new policy is in force either way; a bug here must not take the relay down from a timer thread.
                    Log.RecheckFailed(_logger, ex, _gate.Version);
                }
            }

            return true;
        }
    }

    public void Dispose()
    {
        _watcher.Dispose();
        _timer.Dispose();
    }

    private void OnChanged(object sender, FileSystemEventArgs e) => _timer.Change(Debounce, Timeout.InfiniteTimeSpan);

    private static partial class Log
    {
        [LoggerMessage(EventId = 501, EventName = "PolicyReloaded", Level = LogLevel.Information,
            Message = "Policy {Path} reloaded ({Trigger}): {Groups} groups, {Rules} rules, version {Version}")]
        public static partial void PolicyReloaded(ILogger logger, string path, string trigger, int groups, int rules, int version);

        [LoggerMessage(EventId = 506, EventName = "EstablishedRechecked", Level = LogLevel.Information,
            Message = "Policy version {Version}: established connections decided again (--recheck-established); {Closed} closed as denied")]
        public static partial void EstablishedRechecked(ILogger logger, int closed, int version);

        [LoggerMessage(EventId = 507, EventName = "RecheckFailed", Level = LogLevel.Error,
            Message = "Policy version {Version} is installed, but re-checking the established connections (--recheck-established) failed unexpectedly")]
        public static partial void RecheckFailed(ILogger logger, Exception exception, int version);

        [LoggerMessage(EventId = 505, EventName = "PolicyReloadCrashed", Level = LogLevel.Error,
            Message = "Policy {Path} not reloaded ({Trigger}): the loader failed unexpectedly; the running policy stays")]
        public static partial void PolicyReloadCrashed(ILogger logger, Exception exception, string path, string trigger);

        [LoggerMessage(EventId = 502, EventName = "PolicyReloadFailed", Level = LogLevel.Warning,
            Message = "Policy {Path} not reloaded ({Trigger}); the running policy stays. Errors ({Count}):\n  {Errors}")]
        public static partial void PolicyReloadFailed(ILogger logger, string path, string trigger, int count, string errors);
    }
}

/// <summary>A policy as first loaded, with the file's write time before that read.</summary>
internal sealed record LoadedPolicy(SecurityPolicy Policy, DateTime WriteTimeUtc);
