using FastRelay.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace FastRelay.Hosting;

/// <summary>Builds the diagnostic logger from <see cref="LogOptions"/>: one line per event, UTC timestamps.</summary>
internal static class Logging
{
    public static ILoggerFactory CreateFactory(LogOptions options) => LoggerFactory.Create(builder =>
    {
        builder.SetMinimumLevel(options.Level);

        // Kestrel and the generic host (the admin endpoint) log each request and their lifetime at
        // Information; only their warnings and errors belong in the relay's log.
        builder.AddFilter("Microsoft", options.Level > LogLevel.Warning ? options.Level : LogLevel.Warning);

        // The host logs a failed start (the admin port in use) with a stack trace; AdminServer reports it
        // as the one-line reason before exit 1 instead.
        builder.AddFilter("Microsoft.Extensions.Hosting", LogLevel.None);

        // Log calls can run on the socket engine's threads (SocketEngineSettings): a full console queue must
        // drop lines (the logger reports how many) rather than block them.
        builder.Services.Configure<ConsoleLoggerOptions>(o =>
        {
            o.QueueFullMode = ConsoleLoggerQueueFullMode.DropWrite;
            o.MaxQueueLength = 10_000;
        });
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
