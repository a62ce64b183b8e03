using FastRelay.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace FastRelay.Hosting;

/// <summary>Builds the diagnostic logger from <see cref="LogOptions"/>: one line per event, UTC timestamps.</summary>
internal static class Logging
{
    public static ILoggerFactory CreateFactory(LogOptions options) => LoggerFactory.Create(builder =>
    {
        builder.SetMinimumLevel(options.Level);
        if (options.Format == LogFormat.Json)
        {
            builder.AddJsonConsole(o =>
            {
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        }
        else
        {
            builder.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            });
        }
    });
}
