using System.Globalization;
using FastRelay.Configuration;
using FastRelay.RateLimiting;
using Microsoft.Extensions.Time.Testing;

namespace FastRelay.Core.Tests.RateLimiting;

/// <summary>
/// Runs a script against a bucket on a fake clock, so that table rows read as timelines: <c>T</c> / <c>F</c>
/// expect <c>TryTake()</c> to return true / false, <c>T3</c> / <c>F3</c> the same for <c>TryTake(3)</c>, and
/// <c>+250ms</c> advances the clock (durations as <see cref="ValueSyntax"/> reads them).
/// </summary>
internal static class BucketScript
{
    public static void Run(TokenBucket bucket, FakeTimeProvider time, string script)
    {
        var position = 0;
        foreach (var step in script.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            position++;
            if (step[0] == '+')
            {
                Assert.True(ValueSyntax.TryParseDuration(step[1..], out var advance), $"bad step '{step}'");
                time.Advance(advance);
                continue;
            }

            var count = step.Length == 1 ? 1 : long.Parse(step[1..], CultureInfo.InvariantCulture);
            var expected = step[0] switch { 'T' => true, 'F' => false, _ => throw new ArgumentException($"bad step '{step}'") };
            Assert.True(expected == bucket.TryTake(count), $"step {position} '{step}' of '{script}'");
        }
    }
}
