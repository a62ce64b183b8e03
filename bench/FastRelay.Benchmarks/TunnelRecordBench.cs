using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using FastRelay.Tunnel.Frames;
using FastRelay.Tunnel.Noise;
using FastRelay.Tunnel.Records;

namespace FastRelay.Benchmarks;

/// <summary>
/// Hot path: every tunnel byte is framed into a record by the write loop (RecordBuilder + RecordCodec.Seal) and
/// opened in place by the read loop (RecordCodec.TryOpen + FrameReader). One DATA frame per record, body sizes
/// from a keystroke (64 B) to a full record (65,511 B, the "65536" row). Must allocate 0 B per record.
/// Seal and open run in lockstep (the implicit nonces must match), so SealAndOpen − Seal is the open cost.
/// </summary>
[MemoryDiagnoser]
public class TunnelRecordBench
{
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private CipherState _send = null!;
    private CipherState _receive = null!;
    private RecordBuilder _builder = null!;
    private byte[] _payload = null!;

    [Params(64, 1024, 16384, 65536)]
    public int PayloadBytes { get; set; }

    private int Body => Math.Min(PayloadBytes, FrameLimits.MaxDataBody);

    [GlobalSetup]
    public void Setup()
    {
        _send = new CipherState(_key);
        _receive = new CipherState(_key);
        _builder = new RecordBuilder(128 * 1024, FrameLimits.MaxRecordLength);
        _payload = RandomNumberGenerator.GetBytes(Body);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _send.Dispose();
        _receive.Dispose();
    }

    [Benchmark(Baseline = true)]
    public int Seal() => BuildOne().Length;

    [Benchmark]
    public int SealAndOpen()
    {
        var record = BuildOne();
        if (!RecordCodec.TryOpen(_receive, record))
        {
            throw new InvalidOperationException("record did not open");
        }

        var reader = new FrameReader(RecordCodec.Plaintext(record));
        return reader.TryReadNext(out var frame, out _) == FrameReadStatus.Frame ? frame.Body.Length : -1;
    }

    private Span<byte> BuildOne()
    {
        _builder.Reset();
        var space = _builder.GetFrameSpace(FrameHeader.Size + Body, _send);
        FrameWriter.WriteDataHeader(space, 1, Body, fin: false);
        _payload.CopyTo(space[FrameHeader.Size..]);
        _builder.Commit(FrameHeader.Size + Body);
        _builder.SealOpenRecord(_send);

        // The builder's batch is the buffer the write loop would send; open it in place like the read loop.
        return System.Runtime.InteropServices.MemoryMarshal.AsMemory(_builder.Sealed).Span;
    }
}

/// <summary>
/// Hot path: the write loop's coalescing (PROTOCOL.md "Implementation notes: mux"). Sixteen small frames (a
/// WINDOW_UPDATE burst, or 64-byte DATA from 16 interactive streams) sealed one record each, as the design's
/// one-frame-per-record layout would, against all sixteen in one record: one AEAD call (~1-2 µs fixed cost) instead of 16.
/// </summary>
[MemoryDiagnoser]
public class TunnelCoalescingBench
{
    private const int Frames = 16;
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private CipherState _send = null!;
    private RecordBuilder _builder = null!;

    [Params(64, 1024)]
    public int FrameBodyBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _send = new CipherState(_key);
        _builder = new RecordBuilder(128 * 1024, FrameLimits.MaxRecordLength);
    }

    [GlobalCleanup]
    public void Cleanup() => _send.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Frames)]
    public int OneRecordPerFrame()
    {
        _builder.Reset();
        for (var i = 0; i < Frames; i++)
        {
            AppendFrame((uint)((2 * i) + 1));
            _builder.SealOpenRecord(_send);
        }

        return _builder.Sealed.Length;
    }

    [Benchmark(OperationsPerInvoke = Frames)]
    public int CoalescedInOneRecord()
    {
        _builder.Reset();
        for (var i = 0; i < Frames; i++)
        {
            AppendFrame((uint)((2 * i) + 1));
        }

        _builder.SealOpenRecord(_send);
        return _builder.Sealed.Length;
    }

    private void AppendFrame(uint streamId)
    {
        var space = _builder.GetFrameSpace(FrameHeader.Size + FrameBodyBytes, _send);
        FrameWriter.WriteDataHeader(space, streamId, FrameBodyBytes, fin: false);
        space.Slice(FrameHeader.Size, FrameBodyBytes).Fill(0x5a);
        _builder.Commit(FrameHeader.Size + FrameBodyBytes);
    }
}
