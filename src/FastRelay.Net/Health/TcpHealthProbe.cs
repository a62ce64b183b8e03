using System.Net;
using System.Net.Sockets;
using FastRelay.Configuration;

namespace FastRelay.Health;

/// <summary>
/// One active check of a backend: a TCP connect within the timeout, then, when configured, the send bytes
/// written and the reply read until it contains the expect bytes (or the timeout, or the backend's FIN).
/// </summary>
/// <remarks>
/// "Contains" rather than "starts with": a banner (SMTP's 220, Redis's +PONG after a greeting) may come after a
/// prefix the operator did not think of, and the check stops reading as soon as the bytes are there. The reply is
/// read into a 4 KiB window: an expect string must fit in it. Thread-safe; never throws for network outcomes.
/// </remarks>
internal sealed class TcpHealthProbe(TimeSpan timeout, byte[]? send, byte[]? expect, Routing.Discovery.HostCache? hosts = null)
{
    // The sessions' own dialer, so a name resolves as it does for them (--dns-server, the cache, the addresses in
    // turn), not through the system resolver, which may not know it or may answer another address.
    private readonly Upstreams.TcpUpstreamDialer _dialer = new(hosts);

    private const int ReplyWindowBytes = 4096;

    /// <summary>Checks <paramref name="target"/>; the detail says why a failed check failed.</summary>
    public async Task<(bool Passed, string? Detail)> CheckAsync(TargetOptions target, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            var dial = await _dialer.DialAsync(target, timeout, guard: null, deadline.Token);
            if (dial.Socket is not { } connected)
            {
                cancellationToken.ThrowIfCancellationRequested();
                return (false, dial.Kind == Upstreams.DialFailureKind.Refused ? "connection refused" : dial.Failure);
            }

            using var socket = connected;
            if (send is not null)
            {
                await socket.SendAsync(send, SocketFlags.None, deadline.Token);
            }

            return expect is null ? (true, null) : await ReadExpectedAsync(socket, expect, deadline.Token);
        }
        catch (OperationCanceledException)
        {
            return (false, $"no {(expect is null ? "connect" : "expected reply")} within {ValueSyntax.FormatDuration(timeout)}");
        }
        catch (SocketException ex)
        {
            return (false, ex.SocketErrorCode == SocketError.ConnectionRefused ? "connection refused" : ex.Message);
        }
    }

    private static async Task<(bool, string?)> ReadExpectedAsync(Socket socket, byte[] expect, CancellationToken cancellationToken)
    {
        var window = new byte[Math.Max(ReplyWindowBytes, expect.Length)];
        var filled = 0;
        while (filled < window.Length)
        {
            var read = await socket.ReceiveAsync(window.AsMemory(filled), SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                return (false, filled == 0 ? "closed without a reply" : "the reply did not contain the expected text");
            }

            filled += read;
            if (window.AsSpan(0, filled).IndexOf(expect) >= 0)
            {
                return (true, null);
            }
        }

        return (false, $"the first {window.Length} bytes of the reply did not contain the expected text");
    }
}
