using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;

namespace FastRelay.Pki;

/// <summary>
/// <c>fastrelay ca ocsp</c>: a small HTTP/1.1 server that answers OCSP requests for one CA (RFC 6960
/// appendix A), so stapling and client-certificate OCSP checks work with no outside service. One request
/// per connection (<c>Connection: close</c>), each bounded in size and time; a malformed request gets HTTP
/// 400 or OCSP malformedRequest, never a crash.
/// </summary>
/// <remarks>Not a public-internet server: it is meant for loopback or a trusted network next to the CA.</remarks>
internal sealed partial class OcspResponder : IAsyncDisposable
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    private const int MaxConcurrent = 256;

    private readonly Socket _listener;
    private readonly OcspResponseBuilder _builder;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _acceptLoop;

    /// <summary>Requests served at once; not disposed (a request still running at stop releases its slot).</summary>
    private readonly SemaphoreSlim _slots = new(MaxConcurrent, MaxConcurrent);
    private int _requests;

    private OcspResponder(Socket listener, OcspResponseBuilder builder, ILogger logger)
    {
        _listener = listener;
        _builder = builder;
        _logger = logger;
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>The bound address (with the real port when 0 was asked for).</summary>
    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    /// <summary>Requests answered so far (tests use it to see cache hits).</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Binds <paramref name="endPoint"/> and starts answering; throws <see cref="PkiException"/> when it cannot bind.</summary>
    public static OcspResponder Start(IPEndPoint endPoint, OcspResponseBuilder builder, ILogger logger)
    {
        var listener = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(endPoint);
            listener.Listen(128);
        }
        catch (SocketException ex)
        {
            listener.Dispose();
            throw new PkiException($"--listen {endPoint}: cannot listen ({ex.SocketErrorCode}: {ex.Message})", ex);
        }

        return new OcspResponder(listener, builder, logger);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Dispose();
        await _acceptLoop;
        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                // At most MaxConcurrent requests at once (each holds an 80 KiB buffer for up to RequestTimeout); more
                // clients wait in the listen backlog, as with nginx's worker_connections.
                await _slots.WaitAsync(_stopping.Token);
                try
                {
                    client = await _listener.AcceptAsync(_stopping.Token);
                }
                catch
                {
                    _slots.Release();
                    throw;
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException || _stopping.IsCancellationRequested)
            {
                return; // Stopping.
            }
            catch (SocketException ex)
            {
                // A reset in the backlog or a descriptor shortage: log, pause briefly so the loop never spins.
                Log.AcceptFailed(_logger, ex.SocketErrorCode);
                await Task.Delay(100);
                continue;
            }

            _ = ServeAsync(client); // Each connection runs on its own; ServeAsync catches and logs everything.
        }
    }

    private async Task ServeAsync(Socket client)
    {
        using var slot = new SlotRelease(_slots);
        using var _ = client;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        timeout.CancelAfter(RequestTimeout);
        try
        {
            var (status, body, summary) = await ReadAndAnswerAsync(client, timeout.Token);

            // Counted before the answer goes out: a client that has read it may look at the count at once.
            Interlocked.Increment(ref _requests);
            var contentType = status == 200 ? "application/ocsp-response" : "text/plain";
            var head = Encoding.ASCII.GetBytes(
                $"HTTP/1.1 {status} {(status == 200 ? "OK" : "Bad Request")}\r\nContent-Type: {contentType}\r\nContent-Length: {body.Length}\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n");
            await client.SendAsync(head, SocketFlags.None, timeout.Token);
            await client.SendAsync(body, SocketFlags.None, timeout.Token);
            client.Shutdown(SocketShutdown.Send);
            var remote = client.RemoteEndPoint?.ToString() ?? "?";
            Log.Answered(_logger, remote, status, summary);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away or was too slow: nothing to answer.
            Log.ClientGone(_logger, ex.Message);
        }
        catch (Exception ex)
        {
            Log.Unexpected(_logger, ex);
        }
    }

    private async Task<(int Status, byte[] Body, string Summary)> ReadAndAnswerAsync(Socket client, CancellationToken cancellationToken)
    {
        var buffer = new byte[OcspHttpRequest.MaxHeadBytes + OcspHttpRequest.MaxBodyBytes];
        var filled = 0;
        int headEnd;
        while ((headEnd = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8)) < 0)
        {
            if (filled >= OcspHttpRequest.MaxHeadBytes)
            {
                return BadRequest("request head too long");
            }

            var read = await client.ReceiveAsync(buffer.AsMemory(filled, OcspHttpRequest.MaxHeadBytes - filled), SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                return BadRequest("connection closed before the request head ended");
            }

            filled += read;
        }

        if (!OcspHttpRequest.TryParseHead(buffer.AsSpan(0, headEnd), out var method, out var getRequest, out var length, out var error))
        {
            return BadRequest(error);
        }

        if (getRequest is not null)
        {
            return (200, _builder.Respond(getRequest, out var s), $"GET: {s}");
        }

        var bodyStart = headEnd + 4;
        while (filled - bodyStart < length)
        {
            var read = await client.ReceiveAsync(buffer.AsMemory(filled, bodyStart + length - filled), SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                return BadRequest("connection closed before the body ended");
            }

            filled += read;
        }

        return (200, _builder.Respond(buffer.AsSpan(bodyStart, length), out var summary), $"{method}: {summary}");
    }

    private static (int, byte[], string) BadRequest(string reason) => (400, Encoding.ASCII.GetBytes(reason + "\n"), reason);

    // Gives a request slot back when its connection is done, however it ended.
    private readonly struct SlotRelease(SemaphoreSlim slots) : IDisposable
    {
        public void Dispose() => slots.Release();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 481, EventName = "OcspAnswered", Level = LogLevel.Information, Message = "OCSP {Client}: HTTP {Status}, {Summary}")]
        public static partial void Answered(ILogger logger, string client, int status, string summary);

        [LoggerMessage(EventId = 482, EventName = "OcspClientGone", Level = LogLevel.Debug, Message = "OCSP client went away: {Reason}")]
        public static partial void ClientGone(ILogger logger, string reason);

        [LoggerMessage(EventId = 483, EventName = "OcspAcceptFailed", Level = LogLevel.Warning, Message = "OCSP accept failed ({Error}); retrying in 100ms")]
        public static partial void AcceptFailed(ILogger logger, SocketError error);

        [LoggerMessage(EventId = 484, EventName = "OcspUnexpectedError", Level = LogLevel.Error, Message = "OCSP request failed unexpectedly")]
        public static partial void Unexpected(ILogger logger, Exception exception);
    }
}
