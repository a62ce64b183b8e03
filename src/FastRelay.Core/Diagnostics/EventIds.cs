using Microsoft.Extensions.Logging;

namespace FastRelay.Diagnostics;

/// <summary>
/// Stable log event ids (after YARP's EventIds.cs): log processors match on these, so never reuse a number.
/// Ranges: 1-99 process and config, 100-199 listeners, 200-299 connections, 300-399 upstreams,
/// 400-499 reserved for TLS, 500-599 for policy and rate limits, 600-699 for the tunnel, 700-799 for audit, 800-899 for operating.
/// </summary>
public static class EventIds
{
    public static readonly EventId Starting = new(1, nameof(Starting));
    public static readonly EventId Stopping = new(2, nameof(Stopping));
    public static readonly EventId Stopped = new(3, nameof(Stopped));
    public static readonly EventId DrainDeadlinePassed = new(4, nameof(DrainDeadlinePassed));
    public static readonly EventId ConnectionsCappedByDescriptorLimit = new(5, nameof(ConnectionsCappedByDescriptorLimit));

    // 800-899: operating (admin endpoint, handoff, systemd).
    public static readonly EventId AdminListening = new(800, nameof(AdminListening));
    public static readonly EventId AdminReload = new(801, nameof(AdminReload));
    public static readonly EventId AdminDrain = new(802, nameof(AdminDrain));
    public static readonly EventId HandoffListening = new(810, nameof(HandoffListening));
    public static readonly EventId HandoffTakenOver = new(811, nameof(HandoffTakenOver));
    public static readonly EventId HandoffGiven = new(812, nameof(HandoffGiven));
    public static readonly EventId HandoffAborted = new(813, nameof(HandoffAborted));
    public static readonly EventId HandoffNone = new(814, nameof(HandoffNone));
    public static readonly EventId SystemdNotifyFailed = new(820, nameof(SystemdNotifyFailed));

    public static readonly EventId ListenerBound = new(100, nameof(ListenerBound));
    public static readonly EventId AcceptFailed = new(101, nameof(AcceptFailed));
    public static readonly EventId AcceptBackingOff = new(102, nameof(AcceptBackingOff));
    public static readonly EventId ListenerStopped = new(103, nameof(ListenerStopped));
    public static readonly EventId AcceptBackingOffAgain = new(104, nameof(AcceptBackingOffAgain));
    public static readonly EventId ListenerAdopted = new(105, nameof(ListenerAdopted));

    public static readonly EventId ConnectionClosed = new(200, nameof(ConnectionClosed));
    public static readonly EventId ConnectionRefusedAtLimit = new(201, nameof(ConnectionRefusedAtLimit));
    public static readonly EventId ConnectionUnexpectedError = new(202, nameof(ConnectionUnexpectedError));
    public static readonly EventId ConnectionRefusedAtLimitAgain = new(203, nameof(ConnectionRefusedAtLimitAgain));
    public static readonly EventId ConnectionRefusedAtSourceLimit = new(204, nameof(ConnectionRefusedAtSourceLimit));
    public static readonly EventId ConnectionRefusedAtSourceLimitAgain = new(205, nameof(ConnectionRefusedAtSourceLimitAgain));
    public static readonly EventId EpollHandlerFailed = new(206, nameof(EpollHandlerFailed));

    public static readonly EventId UpstreamDialFailed = new(300, nameof(UpstreamDialFailed));

    // 340-349: balancing and backend health (Routing/BackendRegistry.cs, Hosting/EdgeHost.Balancing.cs).
    public static readonly EventId BackendDown = new(340, nameof(BackendDown));
    public static readonly EventId BackendUp = new(341, nameof(BackendUp));
    public static readonly EventId BackendEjected = new(342, nameof(BackendEjected));
    public static readonly EventId BackendReadmitted = new(343, nameof(BackendReadmitted));
    public static readonly EventId BackendPanicMode = new(344, nameof(BackendPanicMode));
    public static readonly EventId RoutesReloaded = new(345, nameof(RoutesReloaded));
    public static readonly EventId RoutesReloadRefused = new(346, nameof(RoutesReloadRefused));

    // 350-359: service discovery and DNS targets (src/FastRelay.Core/Routing/Discovery).
    public static readonly EventId DiscoveryFailed = new(350, nameof(DiscoveryFailed));
    public static readonly EventId DiscoveryFailedAgain = new(351, nameof(DiscoveryFailedAgain));
    public static readonly EventId DnsResolveFailed = new(352, nameof(DnsResolveFailed));
    public static readonly EventId DnsResolveFailedAgain = new(353, nameof(DnsResolveFailedAgain));

    public static readonly EventId TlsHandshakeCompleted = new(400, nameof(TlsHandshakeCompleted));
    public static readonly EventId TlsHandshakeRefused = new(401, nameof(TlsHandshakeRefused));
    public static readonly EventId TlsHandshakeRefusedAgain = new(402, nameof(TlsHandshakeRefusedAgain));
    public static readonly EventId TlsMaterialReloaded = new(403, nameof(TlsMaterialReloaded));
    public static readonly EventId TlsMaterialReloadFailed = new(404, nameof(TlsMaterialReloadFailed));
    public static readonly EventId TlsMaterialLoaded = new(405, nameof(TlsMaterialLoaded));
    public static readonly EventId TlsRecordsThroughSslStream = new(406, nameof(TlsRecordsThroughSslStream));

    public static readonly EventId ConnectionDenied = new(500, nameof(ConnectionDenied));
    public static readonly EventId PolicyReloaded = new(501, nameof(PolicyReloaded));
    public static readonly EventId PolicyReloadFailed = new(502, nameof(PolicyReloadFailed));
    public static readonly EventId DryRunDecision = new(503, nameof(DryRunDecision));
    public static readonly EventId DryRunDecisionAgain = new(504, nameof(DryRunDecisionAgain));
    public static readonly EventId PolicyReloadCrashed = new(505, nameof(PolicyReloadCrashed));
    public static readonly EventId EstablishedRechecked = new(506, nameof(EstablishedRechecked));
    public static readonly EventId RecheckFailed = new(507, nameof(RecheckFailed));
    public static readonly EventId ConnectionRateLimited = new(510, nameof(ConnectionRateLimited));

    public static readonly EventId AuditStarted = new(700, nameof(AuditStarted));
    public static readonly EventId AuditSinkFailed = new(701, nameof(AuditSinkFailed));
    public static readonly EventId AuditSinkRecovered = new(702, nameof(AuditSinkRecovered));
    public static readonly EventId AuditSpoolFailed = new(703, nameof(AuditSpoolFailed));
    public static readonly EventId AuditStopped = new(704, nameof(AuditStopped));
    public static readonly EventId AuditFlushDeadlinePassed = new(705, nameof(AuditFlushDeadlinePassed));
    public static readonly EventId AuditSinkUnexpectedError = new(706, nameof(AuditSinkUnexpectedError));
    public static readonly EventId AuditRecordsDropped = new(707, nameof(AuditRecordsDropped));
    public static readonly EventId AuditSpoolLinesSkipped = new(708, nameof(AuditSpoolLinesSkipped));
}
