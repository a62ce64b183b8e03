using System.Net;
using System.Net.Sockets;
using FastRelay.TestKit;

namespace FastRelay.Net.Tests.Tunnel;

/// <summary>
/// A TCP proxy that can go silent: after <see cref="Freeze"/> it moves no more bytes but keeps every socket open,
/// which is what a hung gateway or a black-holed path looks like to the edge (no FIN, no RST: only missed pings).
/// </summary>
internal sealed class FreezableProxy : IAsyncDisposable
{
    private readonly Socket _listener = new(SocketType.Stream, ProtocolType.Tcp);
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Socket> _sockets = [];
    private volatile bool _frozen;

    public FreezableProxy(IPEndPoint target)
    {
        _target = target;
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(64);
        _ = AcceptAsync();
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    /// <summary>Stops forwarding in both directions; connections stay open.</summary>
    public void Freeze() => _frozen = true;

    /// <summary>
    /// What a killed gateway looks like (SIGKILL: the kernel closes its sockets): every connection is reset at once
    /// and no new one is accepted.
    /// </summary>
    public void Cut()
    {
        _stop.Cancel();
        _listener.Dispose();
        lock (_sockets)
        {
            _sockets.ForEach(s => s.Reset());
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Dispose();
        lock (_sockets)
        {
            _sockets.ForEach(s => s.Dispose());
        }

        await Task.Yield();
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptAsync(_stop.Token);
                var upstream = new Socket(SocketType.Stream, ProtocolType.Tcp);
                await upstream.ConnectAsync(_target, _stop.Token);
                lock (_sockets)
                {
                    _sockets.AddRange([client, upstream]);
                }

                _ = PumpAsync(client, upstream);
                _ = PumpAsync(upstream, client);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // Disposed: the test is over.
        }
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var n = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (n == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                while (_frozen)
                {
                    await Task.Delay(50, _stop.Token); // Silent: the bytes are held, nothing is closed.
                }

                await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, _stop.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // Disposed or reset: the test is over for this connection.
        }
    }
}
