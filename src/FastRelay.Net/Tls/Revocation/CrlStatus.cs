namespace FastRelay.Tls.Revocation;

/// <summary>What the loaded CRLs say about one certificate.</summary>
internal enum CrlStatus
{
    /// <summary>No CRL from this certificate's issuer (name and key) is loaded.</summary>
    NotCovered,

    /// <summary>A CRL from its issuer lists it.</summary>
    Revoked,

    /// <summary>A current CRL from its issuer (now before nextUpdate) does not list it.</summary>
    Good,

    /// <summary>Only CRLs past their nextUpdate cover it, and they do not list it: its status is unknown.</summary>
    Stale,
}
