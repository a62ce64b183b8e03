namespace FastRelay.Tunnel.Handshake;

/// <summary>
/// What each side announces in the identity payload's settings TLV (docs/PROTOCOL.md "Identity payload"): limits the
/// peer must respect when sending to us. Absent settings take these defaults.
/// </summary>
/// <param name="MaxRecord">Largest record we accept (len field), 2048..65535. Defaults to 65535.</param>
/// <param name="InitialWindow">Per-stream credit the peer starts with, 1..2^31−1 bytes. Defaults to 256 KiB.</param>
/// <param name="MaxStreams">Open streams we accept at once, 1..2^31−1. Defaults to 256.</param>
/// <param name="PingIntervalMs">How often we ping, 100..60000 ms. Defaults to 1000.</param>
/// <param name="PingMissLimit">Missed intervals before we call the link dead, 1..255. Defaults to 3.</param>
/// <param name="RekeyIntervalSeconds">Epoch age that triggers a rekey, 1..86400 s. Defaults to 120.</param>
/// <param name="MaxEpochAgeSeconds">Oldest epoch we tolerate before GOAWAY(REKEY_ERROR), 1..259200 s (72 h). Defaults to 270.</param>
public sealed record TunnelSettings(int MaxRecord = 65535, int InitialWindow = 256 * 1024, int MaxStreams = 256,
    int PingIntervalMs = 1000, int PingMissLimit = 3, int RekeyIntervalSeconds = 120, int MaxEpochAgeSeconds = 270);
