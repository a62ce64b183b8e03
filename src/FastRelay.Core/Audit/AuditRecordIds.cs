using System.Buffers.Binary;

namespace FastRelay.Audit;

/// <summary>
/// Makes <c>record_id</c>s: RFC 9562 UUIDv7 layout, so ids sort by time as text and as bytes, and no two
/// nodes or restarts collide.
/// </summary>
/// <remarks>
/// Layout (big-endian): 48 bits of Unix milliseconds, version 7, then 74 bits split into a 42-bit counter
/// (per generator, so ids of one process also sort within a millisecond, RFC 9562 §6.2 method 2) and a
/// 32-bit instance tag chosen at random when the process starts (separates nodes and restarts).
/// Thread-safe and allocation-free.
/// </remarks>
public sealed class AuditRecordIds
{
    private readonly uint _instance;
    private long _counter;

    /// <summary>Creates a generator for one process.</summary>
    /// <param name="instance">A random value picked at start (Core takes no randomness of its own).</param>
    public AuditRecordIds(uint instance) => _instance = instance;

    /// <summary>The next id, for a record taken at <paramref name="at"/>.</summary>
    public Guid Next(DateTimeOffset at)
    {
        var counter = (ulong)Interlocked.Increment(ref _counter) & ((1UL << 42) - 1);
        var millis = (ulong)Math.Max(0, at.ToUnixTimeMilliseconds()) & ((1UL << 48) - 1);
        Span<byte> bytes = stackalloc byte[16];

        // 48-bit time, version nibble 7, then the counter's top 12 bits (rand_a).
        BinaryPrimitives.WriteUInt64BigEndian(bytes, (millis << 16) | 0x7000UL | (counter >> 30));

        // Variant 10, the counter's low 30 bits, the 32-bit instance tag (rand_b).
        BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], (0b10UL << 62) | ((counter & ((1UL << 30) - 1)) << 32) | _instance);
        return new Guid(bytes, bigEndian: true);
    }
}
