using System.Net;
using FastRelay.Configuration;
using FastRelay.Diagnostics;
using FastRelay.Filtering;
using System.Net.Security;
using System.Security.Authentication;
using Microsoft.Extensions.Logging;

namespace FastRelay.Relaying;

internal sealed partial class RelayedConnection
{
    private static partial class Log
    {
        // One line per connection, at its close, with everything an investigator needs (STYLE H6).
        [LoggerMessage(EventId = 200, EventName = nameof(EventIds.ConnectionClosed), Level = LogLevel.Debug,
            Message = "Connection {ConnectionId} closed: {CloseReason}; service {Service}, client {Client}, upstream {Upstream}, {BytesClientToUpstream} bytes up, {BytesUpstreamToClient} bytes down, {DurationMs:0.0} ms")]
        public static partial void ConnectionClosed(ILogger logger, long connectionId, string service, IPEndPoint? client,
            TargetOptions? upstream, CloseReason closeReason, long bytesClientToUpstream, long bytesUpstreamToClient, double durationMs);

        [LoggerMessage(EventId = 500, EventName = nameof(EventIds.ConnectionDenied), Level = LogLevel.Debug,
            Message = "Connection {ConnectionId} closed: FilterDenied at {Checkpoint}; service {Service}, client {Client}, listener {Listener}: {Decision}")]
        public static partial void ConnectionDenied(ILogger logger, long connectionId, string checkpoint, string service, IPEndPoint? client,
            IPEndPoint? listener, FilterDecision decision);

        [LoggerMessage(EventId = 686, EventName = "TunnelTargetDenied", Level = LogLevel.Debug,
            Message = "Connection {ConnectionId} closed: FilterDenied at the gateway; service {Service}, client {Client}: {Refusal}")]
        public static partial void TunnelDenied(ILogger logger, long connectionId, string service, IPEndPoint? client, string refusal);

        [LoggerMessage(EventId = 510, EventName = nameof(EventIds.ConnectionRateLimited), Level = LogLevel.Debug,
            Message = "Connection {ConnectionId} closed: RateLimited ({Detail}); service {Service}, client {Client}")]
        public static partial void ConnectionRateLimited(ILogger logger, long connectionId, string service, IPEndPoint client, string detail);

        [LoggerMessage(EventId = 400, EventName = nameof(EventIds.TlsHandshakeCompleted), Level = LogLevel.Debug,
            Message = "Connection {ConnectionId}: TLS {Protocol} {CipherSuite}, SNI {ServerName}, service {Service}, client certificate {Identity} sha256 {CertificateSha256}, {HandshakeMs:0.0} ms")]
        public static partial void HandshakeCompleted(ILogger logger, long connectionId, SslProtocols protocol, TlsCipherSuite cipherSuite, string? serverName,
            string service, object identity, string certificateSha256, double handshakeMs);

        // Where OpenSSL cannot read the client's records itself (SslRecordReader): the connection works, a little slower.
        [LoggerMessage(EventId = 406, EventName = nameof(EventIds.TlsRecordsThroughSslStream), Level = LogLevel.Debug,
            Message = "Connection {ConnectionId}: TLS records read through SslStream, not by OpenSSL directly: {Reason}")]
        public static partial void RecordsThroughSslStream(ILogger logger, long connectionId, string reason);

        // The TLS 1.3 trap: a rejected client only sees EOF on its first read, so the reason must be here.
        [LoggerMessage(EventId = 401, EventName = nameof(EventIds.TlsHandshakeRefused), Level = LogLevel.Information,
            Message = "Connection {ConnectionId} closed: {CloseReason}; client {Client}, SNI {ServerName}, certificate {Identity}: {Detail}")]
        public static partial void HandshakeRefused(ILogger logger, long connectionId, CloseReason closeReason, IPEndPoint? client, string serverName, object identity, string detail);

        [LoggerMessage(EventId = 402, EventName = nameof(EventIds.TlsHandshakeRefusedAgain), Level = LogLevel.Debug,
            Message = "Connection {ConnectionId} closed: {CloseReason}; client {Client}, SNI {ServerName}, certificate {Identity}: {Detail}")]
        public static partial void HandshakeRefusedAgain(ILogger logger, long connectionId, CloseReason closeReason, IPEndPoint? client, string serverName, object identity, string detail);

        [LoggerMessage(EventId = 300, EventName = nameof(EventIds.UpstreamDialFailed), Level = LogLevel.Debug,
            Message = "Connection {ConnectionId}: dial to {Upstream} for service {Service} failed: {Failure}")]
        public static partial void UpstreamDialFailed(ILogger logger, long connectionId, string service, TargetOptions upstream, string? failure);
    }
}
