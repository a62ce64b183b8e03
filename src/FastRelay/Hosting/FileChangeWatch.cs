namespace FastRelay.Hosting;

/// <summary>
/// Watches one operator file for changes, however it is replaced: written in place, renamed over (editors, cert-manager,
/// <c>fastrelay ca crl</c>), or swapped behind a symlink, as Kubernetes updates a mounted Secret or ConfigMap
/// (<c>cert.pem -&gt; ..data/cert.pem</c>, and <c>..data</c> renamed to point at a new folder: <c>cert.pem</c> itself
/// never changes).
/// </summary>
internal static class FileChangeWatch
{
    /// <summary>A started watcher that calls <paramref name="onChange"/> for every event on <paramref name="path"/>.</summary>
    public static FileSystemWatcher Start(string path, FileSystemEventHandler onChange)
    {
        var full = Path.GetFullPath(path);

        // The folder, not the file: a rename over the file replaces the inode a file watch would follow. Only the file's
        // own name, and the first step of its link target when that is a sibling entry (..data), so that busy neighbours
        // (an audit database in the same folder) never trigger a reload.
        var watcher = new FileSystemWatcher(Path.GetDirectoryName(full)!)
        {
            NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.Size | NotifyFilters.CreationTime,
        };
        watcher.Filters.Add(Path.GetFileName(full));
        if (SiblingLinkStep(full) is { } step)
        {
            watcher.Filters.Add(step);
        }

        watcher.Changed += onChange;
        watcher.Created += onChange;
        watcher.Renamed += (sender, e) => onChange(sender, e);
        watcher.EnableRaisingEvents = true;
        return watcher;
    }

    /// <summary>
    /// For a symlink with a relative target through another entry of its folder, that entry's name; else null. Read once,
    /// when the watch starts: a plain file replaced by a symlink later is followed only from the next restart.
    /// </summary>
    internal static string? SiblingLinkStep(string path)
    {
        string? target;
        try
        {
            target = new FileInfo(path).LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }

        if (target is null || Path.IsPathRooted(target))
        {
            return null;
        }

        var first = target.Split('/', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(step => step != "."); // ./..data/x too.
        return first is null or ".." || first == Path.GetFileName(path) ? null : first;
    }
}
