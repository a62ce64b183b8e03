using System.Diagnostics;
using FastRelay.Tunnel.Frames;

namespace FastRelay.Tunnel.Streams;

/// <summary>
/// One stream's send credit (§4.6): starts at the peer's initial window, shrinks with each DATA body sent,
/// grows with each WINDOW_UPDATE. Not thread-safe: the session guards it.
/// </summary>
internal sealed class SendWindow
{
    private long _credit;

    /// <summary>Starts with <paramref name="initialCredit"/> (the peer's announced initial window).</summary>
    public SendWindow(int initialCredit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(initialCredit);
        _credit = initialCredit;
    }

    /// <summary>Bytes that may be sent now.</summary>
    public long Available => _credit;

    /// <summary>Spends <paramref name="bytes"/> of credit (at most <see cref="Available"/>).</summary>
    public void Consume(int bytes)
    {
        Debug.Assert(bytes >= 0 && bytes <= _credit, "the writer sends no more than the credit");
        _credit -= bytes;
    }

    /// <summary>
    /// Adds a WINDOW_UPDATE. False, leaving the credit unchanged, when the result would pass 2^31-1: a
    /// FLOW_CONTROL error (§4.6; grpc#43375 and nghttp2#2845 are what happens without this check).
    /// </summary>
    public bool TryGrant(uint increment)
    {
        if (_credit + increment > FrameLimits.MaxWindow)
        {
            return false;
        }

        _credit += increment;
        return true;
    }
}
