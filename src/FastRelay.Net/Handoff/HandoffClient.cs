using System.Net;
using System.Net.Sockets;
using System.Text;

namespace FastRelay.Handoff;

/// <summary>
/// The new process's side of a zero-downtime restart: asks the process serving on the <c>--handoff</c>
/// socket for its listening sockets (HandoffProtocol steps 1-3).
/// </summary>
internal sealed class HandoffClient : IDisposable
{
    private readonly Socket _connection;

    private HandoffClient(Socket connection, Dictionary<IPEndPoint, Socket> sockets)
    {
        _connection = connection;
        Sockets = sockets;
    }

    /// <summary>The sockets received, by address. The edge removes the ones it adopts; <see cref="Dispose"/> closes the rest.</summary>
    public Dictionary<IPEndPoint, Socket> Sockets { get; }

    /// <summary>
    /// Takes over from the process on <paramref name="path"/>; null when no process serves there (no file,
    /// or a stale one: the caller starts fresh).
    /// </summary>
    /// <exception cref="HandoffException">A process answered but the handoff failed.</exception>
    public static HandoffClient? TryTakeOver(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        var connection = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            connection.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException)
        {
            // Nobody listens (the last process exited): a stale file, a fresh start.
            connection.Dispose();
            return null;
        }

        try
        {
            connection.Send(Encoding.ASCII.GetBytes(HandoffProtocol.Request));
            if (!connection.Poll(HandoffProtocol.AnswerTimeout, SelectMode.SelectRead))
            {
                throw new HandoffException($"handoff {path}: the running process did not answer within {HandoffProtocol.AnswerTimeout.TotalSeconds} s");
            }

            var buffer = new byte[16 * 1024];
            var descriptors = new List<int>();
            var received = ScmRights.Receive((int)connection.Handle, buffer, descriptors, out var errno);
            var endPoints = received > 0 ? HandoffProtocol.ParseAnswer(buffer.AsSpan(0, received)) : null;
            if (endPoints is null || endPoints.Count != descriptors.Count)
            {
                descriptors.ForEach(ScmRights.Close);
                throw new HandoffException($"handoff {path}: the running process refused or sent a bad answer ({(received < 0 ? $"errno {errno}" : $"{received} bytes, {descriptors.Count} sockets")})");
            }

            var sockets = new Dictionary<IPEndPoint, Socket>();
            for (var i = 0; i < endPoints.Count; i++)
            {
                sockets[endPoints[i]] = new Socket(new SafeSocketHandle(descriptors[i], ownsHandle: true));
            }

            return new HandoffClient(connection, sockets);
        }
        catch (Exception ex) when (ex is SocketException or IOException)
        {
            connection.Dispose();
            throw new HandoffException($"handoff {path}: {ex.Message}", ex);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Tells the old process this one accepts now (step 3): it stops accepting and drains.</summary>
    public void Confirm()
    {
        _connection.Send(Encoding.ASCII.GetBytes(HandoffProtocol.Ready));
    }

    /// <summary>Closes the unused sockets (close(2) only) and the conversation; without <see cref="Confirm"/>, the old process goes on serving.</summary>
    public void Dispose()
    {
        foreach (var socket in Sockets.Values)
        {
            // Not Socket.Dispose: the old process still accepts on it until it drains.
            var descriptor = (int)socket.SafeHandle.DangerousGetHandle();
            socket.SafeHandle.SetHandleAsInvalid();
            ScmRights.Close(descriptor);
        }

        Sockets.Clear();
        _connection.Dispose();
    }
}
