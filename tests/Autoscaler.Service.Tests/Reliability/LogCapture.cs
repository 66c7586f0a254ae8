using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Autoscaler.Service.Tests.Reliability;

/// <summary>Keeps every log entry at every level, as text: the formatted message, each structured value (also those
/// the message does not show), scopes and the exception with its stack.</summary>
public sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _entries = new();

    public IReadOnlyCollection<string> Entries => _entries;

    public ILoggerFactory Factory() => LoggerFactory.Create(b => b.AddProvider(this).SetMinimumLevel(LogLevel.Trace));

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture capture, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull
        {
            capture._entries.Enqueue($"scope {category}: {state}");
            return null;
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var text = $"{logLevel} {category}[{eventId.Id}]: {formatter(state, exception)}";
            if (state is IEnumerable<KeyValuePair<string, object?>> values)
            {
                text += " |" + string.Join("|", values.Select(kv => kv.Key + "=" + kv.Value));
            }

            if (exception is not null)
            {
                text += "\n" + exception;
            }

            capture._entries.Enqueue(text);
        }
    }
}
