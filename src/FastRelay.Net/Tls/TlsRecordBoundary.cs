namespace FastRelay.Tls;

/// <summary>
/// Where the next TLS record ends in a byte stream (RFC 8446 section 5.1: a 5-byte header whose last two bytes
/// are the body's length), so that reads can stop there: during the handshake the transport hands SslStream
/// whole records and never the bytes after them, which then stay in the socket for
/// <see cref="Native.SslRecordReader"/> (an application record that came in the same segment as the client's
/// Finished would otherwise sit in SslStream's private buffer, out of our reach).
/// </summary>
/// <remarks>Pure and allocation-free; the bytes themselves are judged by OpenSSL, never here: a length that no
/// record may have only bounds the reads, and SslStream refuses the record.</remarks>
internal struct TlsRecordBoundary
{
    private const int HeaderBytes = 5;

    private int _headerSeen; // 0..5 bytes of the current header seen.
    private int _lengthHigh; // Header byte 3, once seen.
    private int _bodyLeft;   // Body bytes of the current record not seen yet (valid once the header is complete).

    /// <summary>How many bytes the next read may return without passing the end of the current record (at least 1).</summary>
    public readonly int Allowed => _headerSeen < HeaderBytes ? HeaderBytes - _headerSeen : _bodyLeft;

    /// <summary>Accounts for bytes that were read; at most <see cref="Allowed"/> of them.</summary>
    /// <exception cref="ArgumentException">More bytes than <see cref="Allowed"/>.</exception>
    public void Consumed(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > Allowed)
        {
            throw new ArgumentException($"{bytes.Length} bytes passed the record boundary ({Allowed} allowed)", nameof(bytes));
        }

        if (_headerSeen < HeaderBytes)
        {
            for (var i = 0; i < bytes.Length; i++, _headerSeen++)
            {
                if (_headerSeen == 3)
                {
                    _lengthHigh = bytes[i];
                }
                else if (_headerSeen == 4)
                {
                    _bodyLeft = (_lengthHigh << 8) | bytes[i]; // Big-endian uint16.
                }
            }

            if (_headerSeen == HeaderBytes && _bodyLeft == 0)
            {
                _headerSeen = 0; // An empty record: the next header starts here.
            }

            return;
        }

        _bodyLeft -= bytes.Length;
        if (_bodyLeft == 0)
        {
            _headerSeen = 0;
        }
    }

    /// <summary>Starts again at a record's first byte (a new connection).</summary>
    public void Reset() => this = default;
}
