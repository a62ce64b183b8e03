using System.Net;
using BenchmarkDotNet.Attributes;
using FastRelay.Filtering;
using FastRelay.RateLimiting;

namespace FastRelay.Benchmarks;

/// <summary>
/// Hot path: the rate-limit decision on every accepted connection (<see cref="TokenBucket.TryTake()"/>,
/// <see cref="KeyedBucketTable{TKey}.Decide(TKey)"/> by source address) and the bandwidth booking before
/// every shaped send (<see cref="BandwidthShaper.Reserve(int)"/>), each reading the real clock. Threads sweep
/// one caller, two (issue 4's contention figure on a 2-core box) and sixteen (an accept storm on more
/// threads than cores) all hitting one bucket's single word. Granted means every call takes a token (the
/// compare-and-swap path); Refused means an empty bucket (a read, no write). Baseline: one
/// <see cref="Interlocked.Increment(ref long)"/> on one shared word, the floor for any shared counter.
/// Each operation is one decision; an invocation runs <see cref="Operations"/> of them split across the
/// threads, which are parked on a barrier between invocations (the barrier is in the time, not in the 0 B).
/// </summary>
[MemoryDiagnoser]
public class TokenBucketBench
{
    private const int Operations = 1 << 16;
    private const int TableKeys = 1 << 16;
    private const int LookupKeys = 1024;

    private readonly long[] _sink = new long[16 * 8]; // One cache line per thread.
    private TokenBucket _granting = null!;
    private TokenBucket _refusing = null!;
    private KeyedBucketTable<UInt128> _table = null!;
    private BandwidthShaper _shaper = null!;
    private UInt128[] _keys = null!;
    private Barrier _start = null!;
    private Barrier _end = null!;
    private Thread[] _workers = [];
    private Func<int, int, long> _work = null!;
    private Func<int, int, long> _increment = null!;
    private Func<int, int, long> _takeGranted = null!;
    private Func<int, int, long> _takeRefused = null!;
    private Func<int, int, long> _decide = null!;
    private Func<int, int, long> _reserve = null!;
    private long _counter;
    private volatile bool _stop;

    [Params(1, 2, 16)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var time = TimeProvider.System;

        // 10^12/s and a 2^40 burst: never empty at any speed this box reaches, so every call writes.
        var unlimited = new TokenBucketOptions(1e12, 1L << 40);
        _granting = new TokenBucket(unlimited, time);
        _refusing = new TokenBucket(new TokenBucketOptions(1e-3, 1), time);
        _refusing.TryTake();
        _shaper = new BandwidthShaper(new BandwidthOptions(1_000_000_000_000, 1L << 40), time);

        // A table of 65,536 IPv4 sources (as AddressKey makes them); lookups walk 1,024 of them.
        var random = new Random(42);
        _table = new KeyedBucketTable<UInt128>(unlimited, 2 * TableKeys, time);
        var all = new UInt128[TableKeys];
        for (var i = 0; i < TableKeys; i++)
        {
            all[i] = AddressKey.From(new IPAddress(random.NextInt64(1L << 32)));
            _table.Decide(all[i]);
        }

        _keys = random.GetItems(all, LookupKeys);

        _increment = (_, count) => Increment(count);
        _takeGranted = (_, count) => Take(_granting, count);
        _takeRefused = (_, count) => Take(_refusing, count);
        _decide = Decide;
        _reserve = (_, count) => Reserve(count);
        _start = new Barrier(Threads);
        _end = new Barrier(Threads);
        _workers = Enumerable.Range(1, Threads - 1).Select(worker => new Thread(() => WorkerLoop(worker)) { IsBackground = true }).ToArray();
        foreach (var thread in _workers)
        {
            thread.Start();
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _stop = true;
        _start.SignalAndWait();
        foreach (var thread in _workers)
        {
            thread.Join();
        }

        _start.Dispose();
        _end.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Operations)]
    public long InterlockedIncrement() => Run(_increment);

    [Benchmark(OperationsPerInvoke = Operations)]
    public long TryTake_Granted() => Run(_takeGranted);

    [Benchmark(OperationsPerInvoke = Operations)]
    public long TryTake_Refused() => Run(_takeRefused);

    [Benchmark(OperationsPerInvoke = Operations)]
    public long KeyedTable_Decide() => Run(_decide);

    [Benchmark(OperationsPerInvoke = Operations)]
    public long Shaper_Reserve() => Run(_reserve);

    private long Run(Func<int, int, long> work)
    {
        _work = work;
        _start.SignalAndWait();
        var result = work(0, Operations / Threads);
        _end.SignalAndWait();
        return result;
    }

    private void WorkerLoop(int worker)
    {
        while (true)
        {
            _start.SignalAndWait();
            if (_stop)
            {
                return;
            }

            _sink[worker * 8] = _work(worker, Operations / Threads);
            _end.SignalAndWait();
        }
    }

    private long Increment(int count)
    {
        long last = 0;
        for (var i = 0; i < count; i++)
        {
            last = Interlocked.Increment(ref _counter);
        }

        return last;
    }

    private static long Take(TokenBucket bucket, int count)
    {
        long granted = 0;
        for (var i = 0; i < count; i++)
        {
            granted += bucket.TryTake() ? 1 : 0;
        }

        return granted;
    }

    // Each thread starts at its own place in the key list, so threads mostly touch different buckets.
    private long Decide(int worker, int count)
    {
        long granted = 0;
        var keys = _keys;
        for (var i = 0; i < count; i++)
        {
            granted += _table.Decide(keys[(i + (worker * 61)) & (LookupKeys - 1)]) == RateDecision.Allowed ? 1 : 0;
        }

        return granted;
    }

    private long Reserve(int count)
    {
        long waits = 0;
        for (var i = 0; i < count; i++)
        {
            waits += _shaper.Reserve(1500).Ticks;
        }

        return waits;
    }
}
