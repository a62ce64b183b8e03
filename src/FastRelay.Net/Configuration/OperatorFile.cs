using System.Diagnostics.CodeAnalysis;

namespace FastRelay.Configuration;

/// <summary>
/// Reads a file an operator named (a flag's file, <c>--config</c>, a policy, a CRL), whole, at start and on every
/// reload, bounded in size, with what went wrong in words rather than as an exception.
/// </summary>
/// <remarks>
/// Why bounded: <c>File.ReadAllBytes</c> reads on until end of file, so <c>--policy /dev/zero</c> (or a log file
/// named by mistake) took 4 GB and ended in an unhandled OutOfMemoryException; a policy or CRL changed under a
/// running edge is read the same way. Non-regular files (a pipe from <c>--config &lt;(...)</c>) are still read,
/// up to the same bound.
/// </remarks>
internal static class OperatorFile
{
    /// <summary>The largest PEM file read (certificates, keys, CA bundles: a bundle of a few hundred certificates fits easily).</summary>
    public const int MaxPemBytes = 4 << 20;

    private const int FirstBlock = 16 * 1024;

    /// <summary>
    /// Reads all of <paramref name="path"/> if it holds at most <paramref name="maxBytes"/>; otherwise says why not in
    /// <paramref name="problem"/> (without the path: callers put the flag and the path in front).
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="maxBytes">The largest file accepted (below 2 GiB).</param>
    /// <param name="kind">What the file should be, for the problem text: "PEM", "JSON", "CRL".</param>
    /// <param name="bytes">The file's bytes.</param>
    /// <param name="problem">"file not found", "permission denied", "it is a directory; expected a PEM file", ...</param>
    public static bool TryRead(string path, int maxBytes, string kind, [NotNullWhen(true)] out byte[]? bytes, [NotNullWhen(false)] out string? problem)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        bytes = null;
        if (string.IsNullOrWhiteSpace(path))
        {
            problem = $"expected the path of a {kind} file";
            return false;
        }

        try
        {
            using var stream = FifoSafeOpen.Open(path);
            var known = stream.CanSeek ? stream.Length : 0; // 0 also for a device or a pipe: read and see.
            if (known > maxBytes)
            {
                problem = $"{known} bytes is too large for a {kind} file (at most {Size(maxBytes)})";
                return false;
            }

            // One byte more than allowed: reading it means the file is too large. For a file of known size that slot
            // also takes the read that finds the end, so the buffer is never grown.
            var limit = maxBytes + 1L;
            var buffer = new byte[(int)Math.Min(limit, known > 0 ? known + 1 : FirstBlock)];
            var total = 0;
            while (true)
            {
                if (total == buffer.Length)
                {
                    if (total >= limit)
                    {
                        problem = $"too large for a {kind} file (more than {Size(maxBytes)})";
                        return false;
                    }

                    Array.Resize(ref buffer, (int)Math.Min(limit, buffer.Length * 2L));
                }

                var read = stream.Read(buffer, total, buffer.Length - total);
                if (read == 0)
                {
                    break;
                }

                total += read;
            }

            bytes = total == buffer.Length ? buffer : buffer[..total];
            problem = null;
            return true;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            problem = "file not found";
        }
        catch (UnauthorizedAccessException) when (Directory.Exists(path))
        {
            problem = $"it is a directory; expected a {kind} file"; // .NET reports a directory as "access denied".
        }
        catch (UnauthorizedAccessException)
        {
            problem = "permission denied";
        }
        catch (IOException ex)
        {
            problem = $"cannot be read ({ex.Message.TrimEnd('.')})";
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
        {
            problem = $"not a usable file path ({ex.Message.TrimEnd('.')})";
        }

        return false;
    }

    private static string Size(int bytes) =>
        bytes >= 1 << 20 && bytes % (1 << 20) == 0 ? $"{bytes >> 20} MiB" : bytes % 1024 == 0 ? $"{bytes >> 10} KiB" : $"{bytes} bytes";
}
