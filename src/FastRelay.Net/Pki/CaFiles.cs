using System.Security.Cryptography;
using System.Text;
using FastRelay.Configuration;

namespace FastRelay.Pki;

/// <summary>
/// The files of a CA directory and how they are written: private keys are created with mode 0600 from the
/// first byte (never written and then chmod-ed, which leaves a window where others may read them), and
/// changes to the database are serialised by a lock file so two <c>ca issue</c> runs cannot lose a line.
/// </summary>
internal sealed class CaFiles(string directory)
{
    public string Directory { get; } = Path.GetFullPath(directory);

    public string Certificate => Path.Combine(Directory, "ca.pem");

    public string Key => Path.Combine(Directory, "ca.key");

    public string Index => Path.Combine(Directory, "index.txt");

    public string Settings => Path.Combine(Directory, "ca.json");

    public string CrlNumber => Path.Combine(Directory, "crlnumber");

    private string LockFile => Path.Combine(Directory, ".lock");

    /// <summary>DIR/NAME.pem and DIR/NAME.key of an issued certificate.</summary>
    public (string Certificate, string Key) Issued(string name) =>
        (Path.Combine(Directory, name + ".pem"), Path.Combine(Directory, name + ".key"));

    /// <summary>
    /// Reads one of the directory's files, whole, if it holds at most <paramref name="maxBytes"/> (the directory is
    /// the operator's, and a file replaced by something endless must not end in an OutOfMemoryException); throws
    /// <see cref="PkiException"/> naming the file otherwise.
    /// </summary>
    public static byte[] Read(string path, int maxBytes, string kind) =>
        OperatorFile.TryRead(path, maxBytes, kind, out var bytes, out var problem) ? bytes : throw new PkiException($"{path}: {problem}");

    /// <summary>As <see cref="Read"/>, decoded as UTF-8 without a byte-order mark (a Windows editor writes one).</summary>
    public static string ReadText(string path, int maxBytes, string kind)
    {
        var bytes = Read(path, maxBytes, kind);
        var mark = Utf8Text.ByteOrderMarkLength(bytes);
        return Encoding.UTF8.GetString(bytes, mark, bytes.Length - mark);
    }

    /// <summary>
    /// Mode asked for the public files (certificates, index, settings, CRLs, the lock) when they are created: 0664, so
    /// that the umask still decides (022 gives 0644; 002 keeps a CA its operators' group shares writable) except that
    /// no umask, not even 000, makes a file anyone may replace (a forged ca.pem or CRL).
    /// </summary>
    public const UnixFileMode PublicFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead;

    /// <summary>Mode asked for a CA directory <c>ca init</c> creates: 0775 (as <see cref="PublicFileMode"/>: the umask narrows it; never world-writable).</summary>
    public const UnixFileMode DirectoryMode = PublicFileMode | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    /// <summary>Writes <paramref name="text"/> to <paramref name="path"/>, a new file getting <see cref="PublicFileMode"/>.</summary>
    public static void WritePublicText(string path, string text)
    {
        using var stream = new FileStream(path, Created(FileMode.Create, FileAccess.Write, PublicFileMode));
        using var writer = new StreamWriter(stream);
        writer.Write(text);
    }

    /// <summary>Writes a private key in PKCS#8 PEM to a new file with mode 0600; fails if the file exists.</summary>
    public static void WritePrivateKey(string path, AsymmetricAlgorithm key)
    {
        using var stream = new FileStream(path, Created(FileMode.CreateNew, FileAccess.Write, UnixFileMode.UserRead | UnixFileMode.UserWrite));
        using var writer = new StreamWriter(stream);
        writer.Write(key.ExportPkcs8PrivateKeyPem());
    }

    /// <summary>
    /// Holds the directory's lock until disposed. Another holder makes this wait up to 10 s, then fail with
    /// a message saying so (flock through FileShare.None on Unix).
    /// </summary>
    public IDisposable Lock()
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                // Not one anyone may open for writing (and hold its lock).
                return new FileStream(LockFile, Created(FileMode.OpenOrCreate, FileAccess.ReadWrite, PublicFileMode, FileShare.None));
            }
            catch (IOException) when (attempt < 100)
            {
                // Held by another 'fastrelay ca' run: wait for it.
                Thread.Sleep(100);
            }
            catch (IOException ex)
            {
                throw new PkiException($"{Directory}: another 'fastrelay ca' command holds {LockFile} for more than 10s", ex);
            }
        }
    }

    // Options that give a file the process creates unixMode from its first byte (Windows has no modes).
    private static FileStreamOptions Created(FileMode mode, FileAccess access, UnixFileMode unixMode, FileShare share = FileShare.Read)
    {
        var options = new FileStreamOptions { Mode = mode, Access = access, Share = share };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = unixMode;
        }

        return options;
    }
}
