namespace FastRelay.Configuration;

/// <summary>
/// Says why a folder an operator named cannot be used, in the operator's words: .NET reports a parent that is a file
/// as "Could not find a part of the path" or "The file '...' already exists", which name neither the culprit nor the fix.
/// </summary>
internal static class PathProblem
{
    /// <summary>Why <paramref name="directory"/> could not be created or opened, given the error <paramref name="ex"/> that said so.</summary>
    public static string Describe(string directory, Exception ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        if (ex is UnauthorizedAccessException)
        {
            return $"permission denied ({ex.Message})";
        }

        for (var path = Path.GetFullPath(directory); !string.IsNullOrEmpty(path); path = Path.GetDirectoryName(path))
        {
            if (File.Exists(path))
            {
                return $"'{path}' is a file, expected a directory";
            }

            if (Directory.Exists(path))
            {
                break;
            }
        }

        return ex.Message;
    }

    /// <summary>Creates <paramref name="directory"/> (and its parents); an <see cref="IOException"/> that says why it cannot.</summary>
    public static void CreateDirectory(string directory)
    {
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot create the folder '{directory}': {Describe(directory, ex)}", ex);
        }
    }
}
