namespace FastRelay.Bench.Reporting.Svg;

/// <summary>A log10 axis from a power of ten to a power of ten, mapped onto a pixel range.</summary>
internal readonly record struct LogAxis(double Min, double Max, double PixelStart, double PixelEnd)
{
    /// <summary>An axis spanning whole decades around <paramref name="low"/>..<paramref name="high"/> (both &gt; 0).</summary>
    public static LogAxis Around(double low, double high, double pixelStart, double pixelEnd)
    {
        var min = Math.Pow(10, Math.Floor(Math.Log10(Math.Max(low, 0.01))));
        var max = Math.Pow(10, Math.Ceiling(Math.Log10(Math.Max(high, min * 10))));
        return new LogAxis(min, max <= min ? min * 10 : max, pixelStart, pixelEnd);
    }

    /// <summary>The pixel of <paramref name="value"/>, clamped to the axis.</summary>
    public double Map(double value)
    {
        var fraction = (Math.Log10(Math.Clamp(value, Min, Max)) - Math.Log10(Min)) / (Math.Log10(Max) - Math.Log10(Min));
        return PixelStart + fraction * (PixelEnd - PixelStart);
    }

    /// <summary>Tick values at 1, 2 and 5 times each power of ten; <c>Major</c> marks the powers of ten.</summary>
    public IEnumerable<(double Value, bool Major)> Ticks()
    {
        for (var decade = Min; decade <= Max * 1.0001; decade *= 10)
        {
            foreach (var step in new[] { 1, 2, 5 })
            {
                var value = decade * step;
                if (value <= Max * 1.0001)
                {
                    yield return (value, step == 1);
                }
            }
        }
    }
}

/// <summary>
/// The percentile axis. Linear (0..100 %) for the whole CDF, or "nines" (90, 99, 99.9 % evenly spaced,
/// y = -log10(1 - p)) for the tail, where the linear axis squashes everything into one pixel.
/// </summary>
internal readonly record struct PercentileAxis(bool Nines, double MaxNines, double PixelBottom, double PixelTop)
{
    /// <summary>The pixel of <paramref name="percentile"/> (0..100).</summary>
    public double Map(double percentile)
    {
        var fraction = Nines
            ? Math.Min(MaxNines, -Math.Log10(Math.Max(1 - percentile / 100, Math.Pow(10, -MaxNines)))) / MaxNines
            : percentile / 100;
        return PixelBottom - fraction * (PixelBottom - PixelTop);
    }

    /// <summary>Tick percentiles with their labels.</summary>
    public IEnumerable<(double Percentile, string Label)> Ticks()
    {
        if (!Nines)
        {
            for (var p = 0; p <= 100; p += 10)
            {
                yield return (p, $"{p}%");
            }

            yield break;
        }

        for (var nines = 0; nines <= MaxNines; nines++)
        {
            var percentile = 100 * (1 - Math.Pow(10, -nines));
            yield return (percentile, nines == 0 ? "0%" : $"{100 - Math.Pow(10, 2 - nines):0.####}%");
        }
    }
}
