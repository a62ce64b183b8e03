using BenchmarkDotNet.Attributes;
using FastRelay.Tunnel.Noise;

namespace FastRelay.Benchmarks;

/// <summary>
/// Hot path: the AEAD call on every tunnel record (<see cref="CipherState.Encrypt"/> when a record is sealed,
/// <see cref="CipherState.TryDecrypt"/> when one is opened), in place, with the 2 length bytes as associated data.
/// Sizes: 64 B (a PING or WINDOW_UPDATE record: the fixed cost per call, why frames are coalesced), 1 KiB and 16 KiB
/// (typical coalesced DATA) and 64 KiB (the largest record). Must allocate 0 B. Decrypt is measured as a round trip
/// (seal then open the same buffer, nonces in step); subtract <see cref="Encrypt"/> for the open alone.
/// <see cref="Implementation"/>: OpenSSL through one persistent EVP context (the default) against the BCL class
/// (the fallback, which re-keys per call); issue 5 compares 16 KiB with <c>openssl speed</c>.
/// </summary>
[MemoryDiagnoser]
public class CipherStateBench
{
    private static readonly byte[] Key = Enumerable.Range(7, 32).Select(i => (byte)i).ToArray();
    private readonly byte[] _associatedData = [0x40, 0x10];
    private CipherState _send = null!;
    private CipherState _receive = null!;
    private byte[] _buffer = null!;

    [Params(64, 1024, 16384, 65536)]
    public int Bytes { get; set; }

    [Params(AeadImplementation.OpenSsl, AeadImplementation.Bcl)]
    public AeadImplementation Implementation { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _send = new CipherState(Key, 0, 0, CipherState.MaxNonce, Implementation);
        _receive = new CipherState(Key, 0, 0, CipherState.MaxNonce, Implementation);
        _buffer = new byte[Bytes + CipherState.TagSize];
        new Random(1).NextBytes(_buffer);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _send.Dispose();
        _receive.Dispose();
    }

    [Benchmark(Baseline = true)]
    public void Encrypt() => _send.Encrypt(_associatedData, _buffer, Bytes);

    [Benchmark]
    public bool EncryptThenDecrypt()
    {
        _send.Encrypt(_associatedData, _buffer, Bytes);
        return _receive.TryDecrypt(_associatedData, _buffer);
    }
}
