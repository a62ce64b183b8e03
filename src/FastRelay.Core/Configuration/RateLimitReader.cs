using System.Globalization;
using FastRelay.RateLimiting;

namespace FastRelay.Configuration;

/// <summary>
/// Reads <c>--conn-rate</c>, <c>--conn-burst</c>, <c>--rate-key</c> and <c>--bandwidth</c> (cli.md) into the
/// rate-limit options, adding an error for each bad or inconsistent value.
/// </summary>
internal static class RateLimitReader
{
    private const string RateKeyExpected = "expected source-ip, identity or service";

    public static ConnectionRateOptions? ConnectionRate(ScalarReader settings, List<ConfigError> errors, bool clientCertificates)
    {
        var rate = settings.Find("conn-rate");
        var burst = settings.Find("conn-burst");
        var key = settings.Find("rate-key");
        double perSecond = 0;
        var rateIsValid = rate is null || (RateSyntax.TryParseRate(rate.Value, out perSecond) && double.IsFinite(perSecond));
        if (!rateIsValid)
        {
            errors.Add(new ConfigError(rate!.Origin, rate.Value, $"expected {RateSyntax.RateExpected}, or 0 for off"));
        }
        else if (perSecond <= 0)
        {
            // Off: a burst or key alone would silently do nothing, which a user would not expect.
            foreach (var orphan in new[] { burst, key }.OfType<RawSetting>())
            {
                errors.Add(new ConfigError(orphan.Origin, orphan.Value, "only means something with --conn-rate; add --conn-rate RATE"));
            }

            return null;
        }

        // The burst and the key are checked even when the rate is bad: every error at once (cli.md).
        var count = errors.Count;
        var burstTokens = rateIsValid ? TokenBucketOptions.DefaultBurst(perSecond) : 0;
        if (burst is not null && (!long.TryParse(burst.Value, NumberStyles.None, CultureInfo.InvariantCulture, out burstTokens) || burstTokens is < 1 or > 1_000_000_000))
        {
            errors.Add(new ConfigError(burst.Origin, burst.Value, "expected a whole number of connections from 1 to 1000000000"));
        }

        if (rateIsValid && errors.Count == count && !TokenBucketOptions.RefillsInTime(perSecond, burstTokens))
        {
            errors.Add(RefillTooSlow(burst ?? rate!, burst is not null, burstTokens, "connections"));
        }

        var rateKey = RateKey.SourceIp;
        if (key is not null)
        {
            switch (key.Value.ToLowerInvariant())
            {
                case "source-ip": rateKey = RateKey.SourceIp; break;
                case "service": rateKey = RateKey.Service; break;
                case "identity" when clientCertificates: rateKey = RateKey.Identity; break;
                case "identity":
                    // The identity comes from the client certificate: without mutual TLS every key would be empty.
                    errors.Add(new ConfigError(key.Origin, key.Value, "needs client certificates; add --tls-cert FILE --tls-key FILE --client-ca FILE, or use source-ip or service"));
                    break;
                default:
                    errors.Add(new ConfigError(key.Origin, key.Value, RateKeyExpected));
                    break;
            }
        }

        return rateIsValid && errors.Count == count ? new ConnectionRateOptions(new TokenBucketOptions(perSecond, burstTokens), rateKey) : null;
    }

    /// <summary>
    /// The error for a bucket that would take over <see cref="TokenBucketOptions.MaxRefillTime"/> to fill: on the burst
    /// flag when it was given, else on the rate, whose default burst of <paramref name="burst"/> <paramref name="unit"/> it names.
    /// </summary>
    public static ConfigError RefillTooSlow(RawSetting culprit, bool burstGiven, long burst, string unit)
    {
        var years = TokenBucketOptions.MaxRefillTime.TotalDays / 365;
        return new(culprit.Origin, culprit.Value, burstGiven
            ? $"this burst takes over {years:0} years to refill at the rate given; expected a smaller burst or a faster rate"
            : $"too slow: its burst of {burst} {(burst == 1 ? unit[..^1] : unit)} takes over {years:0} years to refill; expected a faster rate");
    }

    public static BandwidthOptions? Bandwidth(ScalarReader settings, List<ConfigError> errors)
    {
        if (settings.Find("bandwidth") is not { } bandwidth)
        {
            return null;
        }

        if (!RateSyntax.TryParseBandwidth(bandwidth.Value, out var bytesPerSecond))
        {
            errors.Add(new ConfigError(bandwidth.Origin, bandwidth.Value, $"expected {RateSyntax.BandwidthExpected}, or 0 for off"));
            return null;
        }

        return bytesPerSecond > 0 ? BandwidthOptions.ForRate(bytesPerSecond) : null;
    }
}
