using System.Net;
using System.Text;

namespace FastRelay.Handoff;

/// <summary>
/// The zero-downtime restart conversation over the <c>--handoff</c> Unix socket (docs/restart.md):
/// <list type="number">
/// <item>The new process connects and sends <see cref="Request"/>.</item>
/// <item>The old one closes its admin endpoint (the new one binds it next) and answers <c>OK</c> with one
/// line per listening socket, <c>ADDR:PORT</c>, the sockets themselves attached (SCM_RIGHTS) in that order.</item>
/// <item>The new process binds the admin endpoint, accepts on the sockets it needs (closing the others) and
/// sends <see cref="Ready"/>. The old one stops accepting, without closing the sockets, drains and exits.</item>
/// <item>If the new process hangs up or is silent for <see cref="ReadyTimeout"/> instead, the old one
/// reopens its admin endpoint and goes on serving: a failed restart changes nothing.</item>
/// </list>
/// </summary>
internal static class HandoffProtocol
{
    public const string Request = "FASTRELAY-HANDOFF 1\n";
    public const string Ok = "OK\n";
    public const string Ready = "READY\n";

    /// <summary>How long the old process waits for <see cref="Ready"/> (the new one binds and starts in well under a second).</summary>
    public static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How long the new process waits for the answer.</summary>
    public static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(10);

    public static byte[] Answer(IEnumerable<IPEndPoint> endPoints)
    {
        var text = new StringBuilder(Ok);
        foreach (var endPoint in endPoints)
        {
            text.Append(endPoint).Append('\n');
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>Reads an answer; null when it is not one.</summary>
    public static List<IPEndPoint>? ParseAnswer(ReadOnlySpan<byte> bytes)
    {
        var lines = Encoding.UTF8.GetString(bytes).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0 || lines[0] != Ok.TrimEnd('\n'))
        {
            return null;
        }

        var endPoints = new List<IPEndPoint>();
        foreach (var line in lines.Skip(1))
        {
            if (!IPEndPoint.TryParse(line, out var endPoint))
            {
                return null;
            }

            endPoints.Add(endPoint);
        }

        return endPoints;
    }
}
