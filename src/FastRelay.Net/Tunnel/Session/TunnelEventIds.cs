using Microsoft.Extensions.Logging;

namespace FastRelay.Tunnel.Session;

/// <summary>
/// Log event ids of tunnel sessions, 650-699 of the tunnel's 600-699 range (600-649 are the handshake's).
/// Kept here rather than in Diagnostics/EventIds.cs so the parallel tunnel branches merge without conflict;
/// never reuse a number.
/// </summary>
public static class TunnelEventIds
{
    public static readonly EventId TunnelStarted = new(650, nameof(TunnelStarted));
    public static readonly EventId TunnelClosed = new(651, nameof(TunnelClosed));
    public static readonly EventId TunnelProtocolViolation = new(652, nameof(TunnelProtocolViolation));
    public static readonly EventId TunnelRecordAuthenticationFailed = new(653, nameof(TunnelRecordAuthenticationFailed));
    public static readonly EventId TunnelTruncated = new(654, nameof(TunnelTruncated));
    public static readonly EventId TunnelDead = new(655, nameof(TunnelDead));
    public static readonly EventId TunnelGoAwayReceived = new(656, nameof(TunnelGoAwayReceived));
    public static readonly EventId TunnelRekeyed = new(657, nameof(TunnelRekeyed));
    public static readonly EventId TunnelRekeyFailed = new(658, nameof(TunnelRekeyFailed));
    public static readonly EventId TunnelFlood = new(659, nameof(TunnelFlood));
    public static readonly EventId TunnelAcceptorFailed = new(660, nameof(TunnelAcceptorFailed));
    public static readonly EventId TunnelDrainDeadlinePassed = new(661, nameof(TunnelDrainDeadlinePassed));
    public static readonly EventId TunnelSocketOptionFailed = new(662, nameof(TunnelSocketOptionFailed));
    public static readonly EventId TunnelUnexpectedError = new(663, nameof(TunnelUnexpectedError));
    public static readonly EventId TunnelStreamRefused = new(664, nameof(TunnelStreamRefused));
    public static readonly EventId TunnelRecheckFailed = new(665, nameof(TunnelRecheckFailed));
}
