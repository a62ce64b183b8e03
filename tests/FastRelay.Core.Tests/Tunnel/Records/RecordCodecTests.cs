using System.Buffers.Binary;
using System.Security.Cryptography;
using FastRelay.Tunnel.Frames;
using FastRelay.Tunnel.Noise;

namespace FastRelay.Tunnel.Records;

/// <summary>Records (§4.3): seal/open in place, the length rule, any 1-bit flip rejected, coalescing.</summary>
public sealed class RecordCodecTests
{
    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);

    [Fact]
    public void SealThenOpen_RoundTripsAndNonceAdvances()
    {
        using var send = new CipherState(Key);
        using var receive = new CipherState(Key);
        for (var n = 0; n < 3; n++)
        {
            var record = new byte[2 + 100 + 16];
            FrameWriter.WriteDataHeader(record.AsSpan(2), 1, 92, fin: false);
            record.AsSpan(10, 92).Fill((byte)n);
            Assert.Equal(record.Length, RecordCodec.Seal(send, record, 100));
            Assert.Equal(116, BinaryPrimitives.ReadUInt16BigEndian(record));

            Assert.True(RecordCodec.TryOpen(receive, record));
            Assert.All(RecordCodec.Plaintext(record)[8..].ToArray(), b => Assert.Equal((byte)n, b));
        }

        Assert.Equal(3ul, send.Nonce);
        Assert.Equal(3ul, receive.Nonce);
    }

    /// <summary>
    /// Golden transcript: key 00..1f, records n = 0 and 1 each carrying PING(01..08). The expected bytes come
    /// from an independent implementation (pyca/cryptography's ChaCha20Poly1305, nonce 0^4 ‖ LE64(n), ad = the
    /// length prefix), so a layout or nonce mistake on both our sides cannot cancel out.
    /// </summary>
    [Theory]
    [InlineData(0, "00201db84239ade6a6d112635f65aa45492f72ff905c38895a412c1b481eee331c3a")]
    [InlineData(1, "00209a57f357b52aaf1828b4ad5857939e8f8352f6cb366a255dc2a7c5c7e0e13ab4")]
    public void Seal_FixedKey_MatchesGoldenRecord(int n, string expectedHex)
    {
        using var send = new CipherState(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());
        var record = new byte[2 + 16 + 16];
        for (var i = 0; i <= n; i++)
        {
            FrameWriter.WritePing(record.AsSpan(2), ack: false, 0x0102030405060708);
            RecordCodec.Seal(send, record, 16);
        }

        Assert.Equal(expectedHex, Convert.ToHexStringLower(record));
    }

    [Fact]
    public void Open_AnyBitFlipped_Fails()
    {
        using var send = new CipherState(Key);
        var sealedRecord = new byte[2 + 16 + 16];
        FrameWriter.WritePing(sealedRecord.AsSpan(2), ack: false, 42);
        RecordCodec.Seal(send, sealedRecord, 16);
        for (var bit = 0; bit < sealedRecord.Length * 8; bit++)
        {
            using var receive = new CipherState(Key);
            var copy = (byte[])sealedRecord.Clone();
            copy[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(RecordCodec.TryOpen(receive, copy), $"bit {bit}");
            Assert.Equal(0ul, receive.Nonce);
        }
    }

    [Theory]
    [InlineData(23, false)]
    [InlineData(24, true)]
    [InlineData(16384, true)]
    [InlineData(16385, false)]
    [InlineData(0, false)]
    public void TryReadLength_OutsideRange_FrameSize(int length, bool ok)
    {
        var prefix = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(prefix, (ushort)length);
        Assert.Equal(ok, RecordCodec.TryReadLength(prefix, 16384, out var read, out var error));
        Assert.Equal(length, read);
        if (!ok)
        {
            Assert.Equal(TunnelErrorCode.FrameSize, error.Code);
            Assert.Contains($"record length {length}", error.Reason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Builder_ManySmallFrames_OneRecordOneAeadCall()
    {
        using var send = new CipherState(Key);
        var builder = new RecordBuilder(256 * 1024, 65535);
        for (uint i = 0; i < 100; i++)
        {
            var space = builder.GetFrameSpace(FrameWriter.WordFrameSize, send);
            builder.Commit(FrameWriter.WriteWindowUpdate(space, (2 * i) + 1, 1000));
        }

        builder.SealOpenRecord(send);
        Assert.Equal(1, builder.RecordsInBatch);
        Assert.Equal(1ul, send.Nonce);
        Assert.Equal(2 + (100 * 12) + 16, builder.Sealed.Length);

        using var receive = new CipherState(Key);
        var wire = builder.Sealed.ToArray();
        Assert.True(RecordCodec.TryOpen(receive, wire));
        var reader = new FrameReader(RecordCodec.Plaintext(wire));
        var frames = 0;
        while (reader.TryReadNext(out _, out _) == FrameReadStatus.Frame)
        {
            frames++;
        }

        Assert.Equal(100, frames);
    }

    [Fact]
    public void Builder_FramesPastMaxRecord_SplitIntoRecordsWithinLimit()
    {
        using var send = new CipherState(Key);
        var builder = new RecordBuilder(64 * 1024, 4096);
        var written = 0;
        while (true)
        {
            var space = builder.GetFrameSpace(FrameHeader.Size + 1000, send);
            if (space.IsEmpty)
            {
                break;
            }

            FrameWriter.WriteDataHeader(space, 1, 1000, fin: false);
            builder.Commit(FrameHeader.Size + 1000);
            written++;
        }

        builder.SealOpenRecord(send);
        var wire = builder.Sealed.ToArray();
        using var receive = new CipherState(Key);
        var (offset, frames) = (0, 0);
        while (offset < wire.Length)
        {
            Assert.True(RecordCodec.TryReadLength(wire.AsSpan(offset), 4096, out var length, out _));
            var record = wire.AsSpan(offset, 2 + length);
            Assert.True(RecordCodec.TryOpen(receive, record));
            var reader = new FrameReader(RecordCodec.Plaintext(record));
            while (reader.TryReadNext(out _, out _) == FrameReadStatus.Frame)
            {
                frames++;
            }

            offset += 2 + length;
        }

        Assert.Equal(written, frames);
        Assert.Equal((ulong)builder.RecordsInBatch, receive.Nonce);
        Assert.True(builder.RecordsInBatch > 1);
    }
}
