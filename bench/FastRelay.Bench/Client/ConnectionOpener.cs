using System.Net;
using System.Net.Sockets;

namespace FastRelay.Bench.Client;

/// <summary>
/// Opens many connections before a phase starts measuring, a bounded number at a time so the accept backlogs
/// of the relay and the backend are not the thing being measured.
/// </summary>
internal static class ConnectionOpener
{
    private const int MaxConcurrentConnects = 64;

    /// <summary>
    /// Opens <paramref name="count"/> connections. On any failure closes the ones already open and returns the
    /// error as a value (with how many had opened), so the phase can report it.
    /// </summary>
    public static async Task<(Socket[]? Sockets, string? Error)> OpenAsync(
        IPEndPoint endPoint, int count, TimeSpan connectTimeout, CancellationToken cancellationToken)
    {
        var sockets = new Socket?[count];
        var options = new ParallelOptions
        {
            MaxDegreeOfParallelism = Math.Min(count, MaxConcurrentConnects),
            CancellationToken = cancellationToken,
        };
        try
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, count), options, async (i, token) =>
                sockets[i] = await ClientSocket.ConnectAsync(endPoint, connectTimeout, token));
            return (sockets.Select(s => s!).ToArray(), null); // All set: ForEachAsync completed every index.
        }
        catch (Exception ex) when (ClientSocket.IsNetworkFailure(ex))
        {
            var opened = CloseAll(sockets);
            return (null, $"opened {opened} of {count} connections to {endPoint}, then {ex.GetType().Name}: {ex.Message}");
        }
        catch
        {
            _ = CloseAll(sockets); // Cancellation or a bug: nothing to report but the sockets must not leak.
            throw;
        }
    }

    private static int CloseAll(Socket?[] sockets)
    {
        var opened = 0;
        foreach (var socket in sockets)
        {
            if (socket is not null)
            {
                opened++;
                socket.Dispose();
            }
        }

        return opened;
    }
}
