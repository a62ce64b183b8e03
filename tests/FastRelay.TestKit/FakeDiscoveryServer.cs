using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace FastRelay.TestKit;

/// <summary>
/// A tiny HTTP/1.1 discovery endpoint on 127.0.0.1 port 0: each request (its path and query) goes to the handler, which
/// says what to answer (status, Content-Type, body) and may wait first (a slow endpoint). One request per connection.
/// </summary>
public sealed class FakeDiscoveryServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <summary>Starts answering with <paramref name="handler"/>.</summary>
    public FakeDiscoveryServer(Func<string, Task<(int Status, string ContentType, string Body)>> handler)
    {
        Handler = handler;
        _listener.Start();
        _loop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>What answers each request (may be swapped by the test).</summary>
    public Func<string, Task<(int Status, string ContentType, string Body)>> Handler { get; set; }

    /// <summary>The path and query of every request received, in order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>The endpoint's base URL: <c>http://127.0.0.1:PORT/pick</c>.</summary>
    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/pick";

    /// <summary>The value of <paramref name="name"/> in a request's query, or null.</summary>
    public static string? QueryValue(string pathAndQuery, string name) =>
        pathAndQuery.Split('?', 2) is [_, var query]
            ? query.Split('&').Select(p => p.Split('=', 2)).Where(p => p.Length == 2 && p[0] == name).Select(p => Uri.UnescapeDataString(p[1])).FirstOrDefault()
            : null;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop.ContinueWith(_ => { }, TaskScheduler.Default).WithTimeout(); // Ended by Stop: its exception is expected.
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var socket = await _listener.AcceptSocketAsync(_stop.Token);
            _ = Task.Run(() => AnswerAsync(socket)); // Each request on its own: a slow answer must not hold the others.
        }
    }

    private async Task AnswerAsync(Socket socket)
    {
        using (socket)
        {
            try
            {
                var head = new StringBuilder();
                var buffer = new byte[4096];
                while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    var n = await socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                    if (n == 0)
                    {
                        return;
                    }

                    head.Append(Encoding.ASCII.GetString(buffer, 0, n));
                }

                var target = head.ToString().Split(' ', 3)[1];
                Requests.Enqueue(target);
                var (status, contentType, body) = await Handler(target);
                var bytes = Encoding.UTF8.GetBytes(body);
                var response = $"HTTP/1.1 {status} X\r\nContent-Type: {contentType}\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n";
                await socket.SendAsync(Encoding.ASCII.GetBytes(response).Concat(bytes).ToArray(), SocketFlags.None, _stop.Token);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                // The client gave up (its timeout) or the server is stopping: nothing to answer.
            }
        }
    }
}
