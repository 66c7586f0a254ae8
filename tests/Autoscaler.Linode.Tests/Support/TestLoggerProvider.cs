using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Autoscaler.Linode.Tests.Support;

/// <summary>One captured log line with its structured values and when it was written (monotonic).</summary>
public sealed record LogEntry(string Category, LogLevel Level, EventId EventId, string Message,
    IReadOnlyDictionary<string, object?> State, Exception? Exception, TimeSpan Timestamp)
{
    public T Get<T>(string key) => (T)State[key]!;
}

/// <summary>Captures every log line (all levels) so tests can read what was logged and check what was not.</summary>
public sealed class TestLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();

    public IReadOnlyList<LogEntry> Entries => [.. _entries];

    public ILoggerFactory CreateFactory() =>
        LoggerFactory.Create(builder => builder.SetMinimumLevel(LogLevel.Trace).AddProvider(this));

    /// <summary>The client's own lines with that event id (other categories, e.g. Polly's, reuse small ids).</summary>
    public IEnumerable<LogEntry> WithEvent(int eventId) =>
        Entries.Where(e => e.EventId.Id == eventId && e.Category == "Autoscaler.Linode.LinodeClient");

    /// <summary>Every message, every structured value and every exception text, for "the secret is nowhere" checks.</summary>
    public string AllText() => string.Join('\n', Entries.Select(e =>
        $"{e.Message} | {string.Join(", ", e.State.Select(kv => $"{kv.Key}={kv.Value}"))} | {e.Exception}"));

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _entries);

    public void Dispose()
    {
    }

    private static readonly long Origin = TimeProvider.System.GetTimestamp();

    private sealed class Logger(string category, ConcurrentQueue<LogEntry> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            var values = new Dictionary<string, object?>(StringComparer.Ordinal);
            if (state is IEnumerable<KeyValuePair<string, object?>> pairs)
            {
                foreach (var (key, value) in pairs)
                {
                    values[key] = value;
                }
            }

            entries.Enqueue(new LogEntry(category, logLevel, eventId, formatter(state, exception), values, exception,
                TimeProvider.System.GetElapsedTime(Origin)));
        }
    }
}
