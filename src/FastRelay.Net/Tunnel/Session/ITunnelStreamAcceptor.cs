namespace FastRelay.Tunnel.Session;

/// <summary>
/// The gateway's decision on each OPEN (§4.5): check the target against the Outbound rules, dial it, and then
/// either <see cref="TunnelStreamRequest.Accept"/> (sends OPEN_OK, returns the stream to pump against the
/// dialled socket) or <see cref="TunnelStreamRequest.Reject"/> with a code (sends RST).
/// </summary>
/// <remarks>
/// Called on a task of its own per OPEN (the read loop never waits for it). It owns the stream for its whole
/// life: returning before accepting or rejecting rejects with INTERNAL; an exception does too, and is logged.
/// The token fires when the edge resets the OPEN or the connection closes: cancel the dial then
/// (Rapid Reset, CVE-2023-44487: a reset OPEN must not leave a dial running).
/// </remarks>
public interface ITunnelStreamAcceptor
{
    /// <summary>Handles one OPEN; see the interface remarks.</summary>
    Task AcceptAsync(TunnelStreamRequest request, CancellationToken ct);
}
