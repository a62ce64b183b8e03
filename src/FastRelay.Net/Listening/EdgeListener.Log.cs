using System.Net;
using System.Net.Sockets;
using FastRelay.Diagnostics;
using Microsoft.Extensions.Logging;

namespace FastRelay.Listening;

internal sealed partial class EdgeListener
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 100, EventName = nameof(EventIds.ListenerBound), Level = LogLevel.Information,
            Message = "Listening on {EndPoint} for service {Service}")]
        public static partial void ListenerBound(ILogger logger, IPEndPoint endPoint, string service);

        [LoggerMessage(EventId = 105, EventName = nameof(EventIds.ListenerAdopted), Level = LogLevel.Information,
            Message = "Listening on {EndPoint} for service {Service} (socket taken over from the previous process)")]
        public static partial void ListenerAdopted(ILogger logger, IPEndPoint endPoint, string service);

        [LoggerMessage(EventId = 101, EventName = nameof(EventIds.AcceptFailed), Level = LogLevel.Debug,
            Message = "Accept on {EndPoint} failed transiently: {SocketError}")]
        public static partial void AcceptFailed(ILogger logger, IPEndPoint endPoint, SocketError socketError);

        [LoggerMessage(EventId = 102, EventName = nameof(EventIds.AcceptBackingOff), Level = LogLevel.Warning,
            Message = "Accept on {EndPoint} failed: {SocketError}; retrying in {DelayMs} ms (further failures this second are logged at Debug)")]
        public static partial void AcceptBackingOff(ILogger logger, IPEndPoint endPoint, SocketError socketError, double delayMs);

        [LoggerMessage(EventId = 104, EventName = nameof(EventIds.AcceptBackingOffAgain), Level = LogLevel.Debug,
            Message = "Accept on {EndPoint} failed: {SocketError}; retrying in {DelayMs} ms")]
        public static partial void AcceptBackingOffAgain(ILogger logger, IPEndPoint endPoint, SocketError socketError, double delayMs);

        [LoggerMessage(EventId = 103, EventName = nameof(EventIds.ListenerStopped), Level = LogLevel.Information,
            Message = "Stopped accepting on {EndPoint}")]
        public static partial void ListenerStopped(ILogger logger, IPEndPoint endPoint);
    }
}
