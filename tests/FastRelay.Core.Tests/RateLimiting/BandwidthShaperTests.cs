using CsCheck;
using FastRelay.RateLimiting;
using Microsoft.Extensions.Time.Testing;

namespace FastRelay.Core.Tests.RateLimiting;

public sealed class BandwidthShaperTests
{
    public static TheoryData<string, long, long, int[], int[]> Reservations => new()
    {
        { "within the burst: no wait", 1000, 1000, [400, 600], [0, 0] },
        { "past the burst: wait for the excess, in order", 1000, 1000, [1000, 500, 500], [0, 500, 1000] },
        { "a send larger than the burst waits for its excess", 1000, 100, [1100], [1000] },
        { "zero bytes never wait while the burst lasts", 1000, 100, [0, 100, 0], [0, 0, 0] },
        { "a quick link: 10 MiB/s, 64 KiB burst, 64 KiB reads", 10L << 20, 64 << 10, [65536, 65536, 65536], [0, (int)(65536 * 1000L / (10 << 20)), (int)(2 * 65536 * 1000L / (10 << 20))] },
    };

    [Theory]
    [MemberData(nameof(Reservations))]
    public void Reserve_AtOneInstant_ReturnsTheDelays(string label, long bytesPerSecond, long burstBytes, int[] sends, int[] expectedMs)
    {
        _ = label;
        var time = new FakeTimeProvider();
        var shaper = new BandwidthShaper(new BandwidthOptions(bytesPerSecond, burstBytes), time);
        var delays = sends.Select(bytes => (int)shaper.Reserve(bytes).TotalMilliseconds).ToArray();
        Assert.Equal(expectedMs, delays);
    }

    [Fact]
    public void Reserve_PumpThatWaitsAsTold_RunsAtTheRate()
    {
        var time = new FakeTimeProvider();
        var start = time.GetUtcNow();
        var shaper = new BandwidthShaper(new BandwidthOptions(1_000_000, 100_000), time);
        long sent = 0;
        while (time.GetUtcNow() - start < TimeSpan.FromSeconds(10))
        {
            time.Advance(shaper.Reserve(16_384));
            sent += 16_384;
        }

        // 10 s at 1 MB/s plus the initial burst, to within one read.
        Assert.InRange(sent, 10_100_000 - 16_384, 10_100_000 + 16_384);
    }

    [Fact]
    public void Reserve_AfterAQuietSpell_TheBurstGoesAtOnceButNoMore()
    {
        var time = new FakeTimeProvider();
        var shaper = new BandwidthShaper(new BandwidthOptions(1000, 500), time);
        Assert.Equal(TimeSpan.FromSeconds(2), shaper.Reserve(2500));
        time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(TimeSpan.Zero, shaper.Reserve(500));
        Assert.Equal(TimeSpan.FromMilliseconds(1), shaper.Reserve(1));
    }

    /// <summary>
    /// A pump that reserves, waits as told (or later: a late timer), then sends: since the start it never
    /// exceeds the burst plus the rate times the elapsed time; over any window it never exceeds the larger
    /// of the burst and the window's first send, plus the rate times the elapsed time and that send's lateness.
    /// </summary>
    [Fact]
    public void Reserve_NeverLetsSendsExceedBurstPlusRate() =>
        Gen.Select(Gen.Int[0, 70_000], Gen.Int[0, 3], Gen.Int[0, 20], (bytes, late, lateMs) => (Bytes: bytes, LateMs: late == 0 ? lateMs : 0))
            .Array[1, 80]
            .Select(Gen.Long[1_000, 50_000_000], Gen.Long[1, 200_000], (sends, rate, burst) => (Sends: sends, Rate: rate, Burst: burst))
            .Sample(run =>
            {
                var time = new FakeTimeProvider();
                var start = time.GetTimestamp();
                var shaper = new BandwidthShaper(new BandwidthOptions(run.Rate, run.Burst), time);
                var times = new long[run.Sends.Length];
                long total = 0;
                for (var i = 0; i < run.Sends.Length; i++)
                {
                    time.Advance(shaper.Reserve(run.Sends[i].Bytes) + TimeSpan.FromMilliseconds(run.Sends[i].LateMs));
                    times[i] = time.GetTimestamp();
                    total += run.Sends[i].Bytes;
                    AssertWithin(total, run.Burst, run.Rate, times[i] - start, "since the start");
                }

                for (var i = 0; i < times.Length; i++)
                {
                    long sum = 0;
                    var slack = Math.Max(run.Burst, run.Sends[i].Bytes);
                    var lateTicks = TimeSpan.FromMilliseconds(run.Sends[i].LateMs).Ticks;
                    for (var j = i; j < times.Length; j++)
                    {
                        sum += run.Sends[j].Bytes;
                        AssertWithin(sum, slack, run.Rate, times[j] - times[i] + lateTicks, $"in [{i}, {j}]");
                    }
                }
            }, iter: 1_000);

    // FakeTimeProvider ticks are TimeSpan ticks.
    private static void AssertWithin(long bytes, long burst, long rate, long elapsedTicks, string where)
    {
        var bound = burst + (rate * elapsedTicks / (double)TimeSpan.TicksPerSecond);
        Assert.True(bytes <= bound * (1 + 1e-12), $"{bytes} B sent {where}, bound {bound}");
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 0)]
    [InlineData(-5, 100)]
    public void Constructor_OptionsOutOfRange_Throws(long bytesPerSecond, long burstBytes) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new BandwidthShaper(new BandwidthOptions(bytesPerSecond, burstBytes), TimeProvider.System));

    [Fact]
    public void Reserve_NegativeBytes_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new BandwidthShaper(BandwidthOptions.ForRate(1000), TimeProvider.System).Reserve(-1));

    [Theory]
    [InlineData(1000, 65_536)]
    [InlineData(10L << 20, (10L << 20) / 10)]
    public void ForRate_BurstIsATenthOfASecond_AtLeastOneRead(long bytesPerSecond, long expectedBurst) =>
        Assert.Equal(expectedBurst, BandwidthOptions.ForRate(bytesPerSecond).BurstBytes);
}
