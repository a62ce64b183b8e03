using System.Runtime.InteropServices;

namespace FastRelay.Tls.Native;

/// <summary>The libssl, libcrypto and libc calls of <see cref="SslRecordReader"/> (OpenSSL 3.0 ABI, Linux).</summary>
internal sealed unsafe partial class SslRecordReader
{
    private const string LibSsl = NativeSsl.LibSsl;
    private const string LibCrypto = NativeSsl.LibCrypto;

    private const int ErrorSsl = 1;
    private const int ErrorWantRead = 2;
    private const int ErrorWantWrite = 3;
    private const int ErrorSyscall = 5;
    private const int ErrorZeroReturn = 6;

    private const ulong OptionIgnoreUnexpectedEof = 1UL << 7;
    private const ulong OptionNoRenegotiation = 1UL << 30;

    private const int Tls13Version = 0x0304;
    private const int BioControlEof = 2; // BIO_CTRL_EOF: BIO_eof() is a macro over BIO_ctrl.

    private const int FcntlGetFlags = 3;
    private const int NonBlocking = 0x800; // O_NONBLOCK on Linux.

    [LibraryImport(LibSsl, SetLastError = true)]
    private static partial int SSL_read(nint ssl, byte* buffer, int count);

    [LibraryImport(LibSsl, SetLastError = true)]
    private static partial int SSL_peek(nint ssl, byte* buffer, int count);

    [LibraryImport(LibSsl)]
    private static partial int SSL_get_error(nint ssl, int result);

    [LibraryImport(LibSsl)]
    private static partial int SSL_has_pending(nint ssl);

    [LibraryImport(LibSsl)]
    private static partial int SSL_in_init(nint ssl);

    [LibraryImport(LibSsl)]
    private static partial int SSL_version(nint ssl);

    [LibraryImport(LibCrypto)]
    private static partial nint BIO_ctrl(nint bio, int command, nint larg, nint parg);

    [LibraryImport(LibSsl)]
    private static partial int SSL_shutdown(nint ssl);

    [LibraryImport(LibSsl)]
    private static partial void SSL_set_quiet_shutdown(nint ssl, int mode);

    [LibraryImport(LibSsl)]
    private static partial nint SSL_get_wbio(nint ssl);

    [LibraryImport(LibCrypto)]
    private static partial int BIO_read(nint bio, byte* buffer, int length);

    [LibraryImport(LibSsl)]
    private static partial nint SSL_get_rbio(nint ssl);

    [LibraryImport(LibSsl)]
    private static partial void SSL_set0_rbio(nint ssl, nint bio);

    [LibraryImport(LibSsl)]
    private static partial ulong SSL_set_options(nint ssl, ulong options);

    [LibraryImport(LibSsl)]
    private static partial void SSL_set_read_ahead(nint ssl, int yes);

    [LibraryImport(LibCrypto)]
    private static partial nint BIO_new_socket(int fd, int closeFlag);

    [LibraryImport(LibCrypto)]
    private static partial int BIO_up_ref(nint bio);

    [LibraryImport(LibCrypto)]
    private static partial int BIO_free(nint bio);

    [LibraryImport(LibCrypto)]
    private static partial nuint BIO_ctrl_pending(nint bio);

    [LibraryImport(LibCrypto)]
    private static partial void ERR_clear_error();

    [LibraryImport(LibCrypto)]
    private static partial nuint ERR_get_error();

    [LibraryImport(LibCrypto)]
    private static partial void ERR_error_string_n(nuint code, byte* buffer, nuint length);

    [LibraryImport("libc", EntryPoint = "fcntl")]
    private static partial int fcntl(int fd, int command, int argument); // Variadic in C; F_GETFL ignores the argument.
}
