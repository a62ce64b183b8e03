namespace FastRelay.Configuration;

/// <summary>
/// Writes a file all at once, for the files relays and operators read while we write them (a CRL, the CA index, a key):
/// the bytes go to a new file beside it, on disk before a rename puts them in place, so a reader never sees half of
/// them, a crash or a full disk never leaves the old file damaged or empty, and the new file gets its own mode.
/// </summary>
internal static class AtomicFile
{
    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/>, created with <paramref name="mode"/> when given.</summary>
    /// <param name="path">The file.</param>
    /// <param name="bytes">Its new contents.</param>
    /// <param name="mode">The Unix mode of a new file (the umask applies).</param>
    /// <param name="overwrite">False: an existing file is an error.</param>
    /// <param name="keepExistingMode">A file that exists keeps its owner and mode (an operator's chown and chmod), not <paramref name="mode"/>, where its owner can be kept; for public files, never keys.</param>
    /// <exception cref="IOException">Also when <paramref name="path"/> exists and <paramref name="overwrite"/> is false.</exception>
    public static void Write(string path, ReadOnlySpan<byte> bytes, UnixFileMode? mode = null, bool overwrite = true, bool keepExistingMode = false)
    {
        // A random name: never one a crashed run left, nor one a concurrent run (another container's PID 1) is writing.
        var temp = $"{path}.{Path.GetRandomFileName()}.tmp";
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (mode is { } unixMode && !OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = unixMode;
            }

            using (var stream = new FileStream(temp, options))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }

            if (keepExistingMode && File.Exists(path))
            {
                // The rename replaces the file, owner and mode and all: the new one takes them over, or, where it cannot
                // take the owner, keeps the mode it was created with (readable as before, never locked to another user).
                _ = FileOwnership.TryCopy(path, temp);
            }

            File.Move(temp, path, overwrite);
        }
        catch (DirectoryNotFoundException ex)
        {
            // .NET's message names the temporary file, which the operator never asked for: name the folder instead.
            throw new DirectoryNotFoundException($"the folder '{Path.GetDirectoryName(Path.GetFullPath(path))}' does not exist", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new UnauthorizedAccessException(WithoutTemp(ex.Message, temp, path), ex);
        }
        catch (IOException ex) when (ex is not DirectoryNotFoundException)
        {
            throw new IOException(WithoutTemp(ex.Message, temp, path), ex);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp); // Only when the write or the rename failed: gone after a rename.
            }
        }
    }

    // .NET's messages name the temporary file, as given or made absolute: the operator asked for path.
    private static string WithoutTemp(string message, string temp, string path) =>
        message.Replace(Path.GetFullPath(temp), Path.GetFullPath(path), StringComparison.Ordinal).Replace(temp, path, StringComparison.Ordinal);
}
