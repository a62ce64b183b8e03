using System.Runtime.InteropServices;

namespace FastRelay.Transport.Epoll;

/// <summary>
/// The few Linux calls the epoll relay makes itself (epoll(7), eventfd(2), recv(2), send(2), splice(2), pipe2(2), shutdown(2)), with the
/// errno values it tells apart. x86-64 layouts: <see cref="EpollEngine.IsSupported"/> keeps other architectures on the
/// pipe path (struct epoll_event is packed on x86-64 only).
/// </summary>
internal static unsafe partial class LinuxSyscalls
{
    public const int EAGAIN = 11;
    public const int EINTR = 4;
    public const int EPERM = 1;
    public const int EACCES = 13;
    public const int EADDRNOTAVAIL = 99;
    public const int ENETUNREACH = 101;
    public const int ETIMEDOUT = 110;
    public const int ECONNREFUSED = 111;
    public const int EHOSTUNREACH = 113;
    public const int EINPROGRESS = 115;
    public const int ENOMEM = 12;
    public const int EINVAL = 22;
    public const int EAFNOSUPPORT = 97;
    public const int EADDRINUSE = 98;
    public const int ENETDOWN = 100;
    public const int ECONNRESET = 104;
    public const int ENOBUFS = 105;
    public const int ECONNABORTED = 103;
    public const int EPIPE = 32;

    /// <summary>An errno from connect(2), recv(2) or send(2) as the runtime's sockets name it (SocketError.SocketError when unknown).</summary>
    public static System.Net.Sockets.SocketError ToSocketError(int errno) => errno switch
    {
        ECONNREFUSED => System.Net.Sockets.SocketError.ConnectionRefused,
        ENETUNREACH => System.Net.Sockets.SocketError.NetworkUnreachable,
        EHOSTUNREACH => System.Net.Sockets.SocketError.HostUnreachable,
        ETIMEDOUT => System.Net.Sockets.SocketError.TimedOut,
        EADDRNOTAVAIL => System.Net.Sockets.SocketError.AddressNotAvailable,
        EACCES or EPERM => System.Net.Sockets.SocketError.AccessDenied,
        ENETDOWN => System.Net.Sockets.SocketError.NetworkDown,
        ECONNRESET => System.Net.Sockets.SocketError.ConnectionReset,
        ECONNABORTED => System.Net.Sockets.SocketError.ConnectionAborted,
        EPIPE => System.Net.Sockets.SocketError.Shutdown,
        EADDRINUSE => System.Net.Sockets.SocketError.AddressAlreadyInUse,
        ENOBUFS or ENOMEM => System.Net.Sockets.SocketError.NoBufferSpaceAvailable,
        EAFNOSUPPORT => System.Net.Sockets.SocketError.AddressFamilyNotSupported,
        EINVAL => System.Net.Sockets.SocketError.InvalidArgument,
        _ => System.Net.Sockets.SocketError.SocketError,
    };

    public const uint EPOLLIN = 0x001;
    public const uint EPOLLPRI = 0x002;
    public const uint EPOLLOUT = 0x004;
    public const uint EPOLLERR = 0x008;
    public const uint EPOLLHUP = 0x010;
    public const uint EPOLLRDHUP = 0x2000;
    public const uint EPOLLET = 1u << 31;

    public const int EpollCtlAdd = 1;
    public const int EpollCtlDel = 2;
    public const int EpollCtlMod = 3;

    public const int CloseOnExec = 0x80000; // EPOLL_CLOEXEC, EFD_CLOEXEC
    public const int EventFdNonBlocking = 0x800; // EFD_NONBLOCK
    public const int MsgNoSignal = 0x4000; // A send to a reset peer returns EPIPE instead of killing the process with SIGPIPE.
    public const int ShutWrite = 1;

    [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
    public static partial int EpollCreate(int flags);

    [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
    public static partial int EpollControl(int epoll, int operation, int descriptor, EpollEvent* ev);

    [LibraryImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
    public static partial int EpollWait(int epoll, EpollEvent* events, int maxEvents, int timeoutMilliseconds);

    [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initial, int flags);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int descriptor, void* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int descriptor, void* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int descriptor);

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    public static partial nint Receive(int socket, byte* buffer, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
    public static partial nint Send(int socket, byte* buffer, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "connect", SetLastError = true)]
    public static partial int Connect(int socket, byte* address, uint addressLength);

    public const uint SpliceMove = 1; // SPLICE_F_MOVE
    public const uint SpliceNonBlocking = 2; // SPLICE_F_NONBLOCK
    public const int PipeNonBlocking = 0x800; // O_NONBLOCK

    [LibraryImport("libc", EntryPoint = "splice", SetLastError = true)]
    public static partial nint Splice(int input, long* inputOffset, int output, long* outputOffset, nint length, uint flags);

    [LibraryImport("libc", EntryPoint = "pipe2", SetLastError = true)]
    public static partial int Pipe(int* descriptors, int flags);

    [LibraryImport("libc", EntryPoint = "shutdown", SetLastError = true)]
    public static partial int Shutdown(int socket, int how);

    /// <summary>struct epoll_event as x86-64 lays it out: packed, 12 bytes.</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    public struct EpollEvent
    {
        public uint Events;
        public ulong Data;
    }
}
