using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Autoscaler.Service.Logging;

/// <summary>
/// One line per event, as an operator reads it: <c>14:02:07 info  pool web: scale up 2 → 4: …</c>. No category and
/// no event id (the [LoggerMessage] generator's ids are hashes of method names, noise to a reader): our messages
/// start with what they are about (<c>pool web:</c>, <c>webhook:</c>, <c>api:</c>). Other libraries' lines keep their
/// category's last name so their origin stays known. Continuation lines of a message and an exception are indented
/// under the message.
/// </summary>
public sealed class PlainConsoleFormatter : ConsoleFormatter
{
    /// <summary>The name <c>AddConsole</c> selects it by.</summary>
    public const string FormatterName = "autoscaler";

    private const string Indent = "               ";
    private readonly TimeProvider _time;

    /// <summary>Creates the formatter (the options are those of every console formatter; only the time zone of
    /// <see cref="ConsoleFormatterOptions.UseUtcTimestamp"/> is used).</summary>
    public PlainConsoleFormatter(IOptionsMonitor<ConsoleFormatterOptions> options)
        : this(options, TimeProvider.System)
    {
    }

    internal PlainConsoleFormatter(IOptionsMonitor<ConsoleFormatterOptions> options, TimeProvider time)
        : base(FormatterName)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options.CurrentValue;
        _time = time;
    }

    private ConsoleFormatterOptions Options { get; }

    /// <inheritdoc />
    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        ArgumentNullException.ThrowIfNull(textWriter);
        var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        if (string.IsNullOrEmpty(message) && logEntry.Exception is null)
        {
            return;
        }

        var now = Options.UseUtcTimestamp ? _time.GetUtcNow() : _time.GetLocalNow();
        textWriter.Write(now.ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture));
        textWriter.Write(' ');
        textWriter.Write(Level(logEntry.LogLevel));
        if (!logEntry.Category.StartsWith("Autoscaler.", StringComparison.Ordinal))
        {
            var dot = logEntry.Category.LastIndexOf('.');
            textWriter.Write(dot >= 0 ? logEntry.Category[(dot + 1)..] : logEntry.Category);
            textWriter.Write(": ");
        }

        textWriter.Write(message.ReplaceLineEndings("\n" + Indent));
        if (logEntry.Exception is { } exception)
        {
            textWriter.Write('\n');
            textWriter.Write(Indent);
            textWriter.Write(exception.ToString().ReplaceLineEndings("\n" + Indent));
        }

        textWriter.Write('\n');
    }

    /// <summary>Five characters and a space, so messages line up.</summary>
    internal static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trace ",
        LogLevel.Debug => "debug ",
        LogLevel.Information => "info  ",
        LogLevel.Warning => "warn  ",
        LogLevel.Error => "error ",
        LogLevel.Critical => "crit  ",
        _ => "      ",
    };
}

/// <summary>Registers <see cref="PlainConsoleFormatter"/>.</summary>
public static class PlainConsoleLogging
{
    /// <summary>The console logger with the autoscaler's plain one-line format.</summary>
    public static ILoggingBuilder AddPlainConsole(this ILoggingBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddConsole(o => o.FormatterName = PlainConsoleFormatter.FormatterName);
        // What AddConsoleFormatter<,> registers, without its binding of the formatter's options from configuration
        // (reflection, refused by native AOT; no configuration carries console formatter options here).
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ConsoleFormatter, PlainConsoleFormatter>());
        return builder;
    }
}
