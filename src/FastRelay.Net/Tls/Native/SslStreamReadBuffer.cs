using System.Net.Security;
using System.Reflection;

namespace FastRelay.Tls.Native;

/// <summary>
/// SslStream's private read buffer, for <see cref="SslRecordReader"/>'s take-over: how many bytes it holds (must be
/// none: they would be lost to the reader), and giving it back to the array pool once the stream never reads again.
/// </summary>
/// <remarks>
/// Why: SslStream gives its buffer back at the end of a read that leaves it empty; after the take-over it never reads
/// again, so without this every idle mutual-TLS connection kept its handshake buffer (measured: +11.6 KiB of GC heap
/// per idle connection, `fastrelay-bench idle --tls`). Read from .NET 10's <c>SslStream._buffer</c> (an
/// <c>ArrayBuffer</c> with <c>ActiveLength</c>) and its <c>ReturnReadBufferIfEmpty()</c>, checked by name and type once;
/// where either is missing <see cref="Supported"/> is false and the reader is not used.
/// </remarks>
internal static class SslStreamReadBuffer
{
    private static readonly FieldInfo? BufferField = typeof(SslStream).GetField("_buffer", BindingFlags.Instance | BindingFlags.NonPublic);

    private static readonly PropertyInfo? ActiveLength =
        BufferField?.FieldType.GetProperty("ActiveLength", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);

    private static readonly Action<SslStream>? ReturnIfEmpty = FindReturn();

    /// <summary>Whether both can be reached on this runtime.</summary>
    public static bool Supported => ActiveLength?.PropertyType == typeof(int) && ReturnIfEmpty is not null && Environment.Version.Major == 10;

    /// <summary>The bytes (encrypted or decrypted) SslStream holds and has not handed out; -1 when it cannot be read.</summary>
    public static int Held(SslStream stream) =>
        Supported && BufferField!.GetValue(stream) is { } buffer && ActiveLength!.GetValue(buffer) is int held ? held : -1;

    /// <summary>Gives SslStream's read buffer back to the pool when it is empty (as SslStream does after a read).</summary>
    public static void Return(SslStream stream)
    {
        if (Supported)
        {
            ReturnIfEmpty!(stream);
        }
    }

    private static Action<SslStream>? FindReturn()
    {
        var method = typeof(SslStream).GetMethod("ReturnReadBufferIfEmpty", BindingFlags.Instance | BindingFlags.NonPublic, Type.EmptyTypes);
        return method?.ReturnType == typeof(void) ? method.CreateDelegate<Action<SslStream>>() : null;
    }
}
