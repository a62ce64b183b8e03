using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace FastRelay.Tunnel.Session;

/// <summary>Keeps every log line, so tests can assert that a hostile input was logged with its reason.</summary>
internal sealed class ListLogger : ILogger
{
    public ConcurrentQueue<(EventId Id, LogLevel Level, string Message)> Entries { get; } = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Entries.Enqueue((eventId, logLevel, formatter(state, exception)));

    public bool Has(int eventId, string contains) =>
        Entries.Any(e => e.Id.Id == eventId && e.Message.Contains(contains, StringComparison.OrdinalIgnoreCase));

    public override string ToString() => string.Join("\n", Entries.Select(e => $"{e.Id.Id} {e.Level}: {e.Message}"));
}

/// <summary>Every category into one <see cref="ListLogger"/>, so a test sees the session's and the pool's lines.</summary>
internal sealed class ListLoggerFactory(ListLogger logger) : ILoggerFactory
{
    public void AddProvider(ILoggerProvider provider)
    {
    }

    public ILogger CreateLogger(string categoryName) => logger;

    public void Dispose()
    {
    }
}
