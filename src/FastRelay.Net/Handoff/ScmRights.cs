using System.Runtime.InteropServices;

namespace FastRelay.Handoff;

/// <summary>
/// Passing file descriptors over a Unix stream socket (SCM_RIGHTS, unix(7)): what HAProxy's <c>-x</c> and
/// Envoy's hot restart use to give listening sockets to the next process. Linux, 64-bit layouts.
/// </summary>
/// <remarks>
/// The receiver gets new descriptors for the same open sockets: the listening socket, with its accept
/// queue, is shared, not copied. Both calls are blocking; callers poll first.
/// </remarks>
internal static unsafe partial class ScmRights
{
    /// <summary>The most descriptors one message carries (the kernel's SCM_MAX_FD is 253).</summary>
    public const int MaxDescriptors = 64;

    private const int SolSocket = 1;
    private const int ScmRightsType = 1;
    private const int MsgCmsgCloexec = 0x40000000;
    private const int MsgNoSignal = 0x4000;
    private const int CmsgHeaderBytes = 16; // struct cmsghdr on 64-bit: size_t len; int level; int type.

    /// <summary>Sends <paramref name="payload"/> with <paramref name="descriptors"/> attached; false (errno in <paramref name="error"/>) on failure.</summary>
    public static bool Send(int socket, ReadOnlySpan<byte> payload, ReadOnlySpan<int> descriptors, out int error)
    {
        if (descriptors.Length > MaxDescriptors)
        {
            throw new ArgumentOutOfRangeException(nameof(descriptors), $"at most {MaxDescriptors} descriptors per message");
        }

        var controlBytes = CmsgSpace(descriptors.Length * sizeof(int));
        var control = stackalloc byte[controlBytes];
        new Span<byte>(control, controlBytes).Clear();
        *(nuint*)control = (nuint)(CmsgHeaderBytes + (descriptors.Length * sizeof(int)));
        *(int*)(control + 8) = SolSocket;
        *(int*)(control + 12) = ScmRightsType;
        descriptors.CopyTo(new Span<int>(control + CmsgHeaderBytes, descriptors.Length));

        fixed (byte* data = payload)
        {
            var iov = new IoVec { Base = data, Length = (nuint)payload.Length };
            var message = new MessageHeader { Iov = &iov, IovLength = 1, Control = descriptors.Length > 0 ? control : null, ControlLength = descriptors.Length > 0 ? (nuint)controlBytes : 0 };
            var sent = SendMessage(socket, &message, MsgNoSignal);
            error = sent < 0 ? Marshal.GetLastPInvokeError() : 0;
            return sent == payload.Length;
        }
    }

    /// <summary>Receives one message into <paramref name="buffer"/>; the descriptors that came with it are added to <paramref name="descriptors"/> (close-on-exec).</summary>
    /// <returns>The bytes received (0 at end of stream), or -1 with errno in <paramref name="error"/>.</returns>
    public static int Receive(int socket, Span<byte> buffer, List<int> descriptors, out int error)
    {
        var controlBytes = CmsgSpace(MaxDescriptors * sizeof(int));
        var control = stackalloc byte[controlBytes];
        fixed (byte* data = buffer)
        {
            var iov = new IoVec { Base = data, Length = (nuint)buffer.Length };
            var message = new MessageHeader { Iov = &iov, IovLength = 1, Control = control, ControlLength = (nuint)controlBytes };
            var received = ReceiveMessage(socket, &message, MsgCmsgCloexec);
            error = received < 0 ? Marshal.GetLastPInvokeError() : 0;

            // Walk the control messages (CMSG_FIRSTHDR / CMSG_NXTHDR): only SCM_RIGHTS is expected.
            var offset = 0;
            while (received >= 0 && offset + CmsgHeaderBytes <= (int)message.ControlLength)
            {
                var length = (int)*(nuint*)(control + offset);
                if (length < CmsgHeaderBytes)
                {
                    break;
                }

                if (*(int*)(control + offset + 8) == SolSocket && *(int*)(control + offset + 12) == ScmRightsType)
                {
                    var count = (length - CmsgHeaderBytes) / sizeof(int);
                    for (var i = 0; i < count; i++)
                    {
                        descriptors.Add(*(int*)(control + offset + CmsgHeaderBytes + (i * sizeof(int))));
                    }
                }

                offset += CmsgSpace(length - CmsgHeaderBytes);
            }

            return (int)received;
        }
    }

    /// <summary>Closes a descriptor that no <see cref="System.Net.Sockets.Socket"/> owns (close(2) only: never shutdown, which would reset a shared listener's queue).</summary>
    public static void Close(int descriptor) => _ = CloseDescriptor(descriptor); // Nothing to do on failure: the number is released either way (close(2)).

    private static int CmsgSpace(int dataBytes) => CmsgHeaderBytes + ((dataBytes + 7) & ~7);

    [LibraryImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    private static partial nint SendMessage(int socket, MessageHeader* message, int flags);

    [LibraryImport("libc", EntryPoint = "recvmsg", SetLastError = true)]
    private static partial nint ReceiveMessage(int socket, MessageHeader* message, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int CloseDescriptor(int descriptor);

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVec
    {
        public byte* Base;
        public nuint Length;
    }

    // struct msghdr (socket(2)), 64-bit.
    [StructLayout(LayoutKind.Sequential)]
    private struct MessageHeader
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public byte* Control;
        public nuint ControlLength;
        public int Flags;
    }
}
