using Autoscaler.Common;
using Autoscaler.Core.Audit;
using Autoscaler.Core.Engine;
using Autoscaler.Core.Pools;
using Autoscaler.Service.Logging;
using Autoscaler.Service.Tests.Reliability;
using Autoscaler.Service.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Autoscaler.Service.Tests.Logging;

/// <summary>Log lines in words: no event-id hashes, no .NET formatting of durations, booleans or enum names, and
/// what was in flight when the service stopped.</summary>
public sealed class LoggingTests
{
    [Fact]
    public void LogWords_EnumsSwitchesAnswers_LowerCaseWords()
    {
        Assert.Equal("scale up", LogWords.Of(DecisionAction.ScaleUp));
        Assert.Equal("at max", LogWords.Of(SkipReason.AtMax));
        Assert.Equal("missing data", LogWords.Of(SkipReason.MissingData));
        Assert.Equal("launch", LogWords.Of(OperationKind.Launch));
        Assert.Equal("on", LogWords.OnOff(true));
        Assert.Equal("no", LogWords.YesNo(false));
    }

    [Fact]
    public void Write_InformationFromOurCategory_TimeLevelMessageWithoutEventId()
    {
        var line = Format(LogLevel.Information, "Autoscaler.Core.Engine.ScalingEngine", new EventId(1829384756, "LogChange"), "pool web: scale up 2 → 4: PoolCpuHigh");
        Assert.Equal("14:02:07 info  pool web: scale up 2 → 4: PoolCpuHigh\n", line);
    }

    [Fact]
    public void Write_OtherLibraryWithMultilineMessageAndException_CategoryNameAndIndentedLines()
    {
        var line = Format(LogLevel.Warning, "Microsoft.AspNetCore.Server.Kestrel", default, "first\nsecond", new InvalidOperationException("boom"));
        var lines = line.Split('\n');
        Assert.Equal("14:02:07 warn  Kestrel: first", lines[0]);
        Assert.Equal("               second", lines[1]);
        Assert.StartsWith("               System.InvalidOperationException: boom", lines[2], StringComparison.Ordinal);
        Assert.DoesNotContain("[", lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_Listening_DurationAndSwitchInWords()
    {
        using var capture = new LogCapture();
        using var factory = capture.Factory();
        using var dir = new TempDir();
        var config = TestConfig.Build(dir, TestConfig.Pool("web"), interval: "90s");
        await using (var host = await AutoscalerHost.StartAsync(config, new AutoscalerServices
        {
            LoggerFactory = factory,
            InstancePools = p => new GatedPool(p.Name, TimeProvider.System),
        }))
        {
            var listening = Assert.Single(capture.Entries, e => e.Contains("(webhook: /hook", StringComparison.Ordinal));
            Assert.Contains("evaluation every 1m30s, dry run off", listening, StringComparison.Ordinal);
            Assert.DoesNotContain("00:01:30", listening, StringComparison.Ordinal);
            Assert.DoesNotContain("False", listening, StringComparison.Ordinal);
        }

        var stopping = Assert.Single(capture.Entries, e => e.Contains("stopping:", StringComparison.Ordinal));
        // Whether the first evaluation's launches are still gated when the host stops depends on timing; either way
        // the line says what was in flight in words.
        Assert.Matches(@"stopping: (no launch, drain or removal in flight|web: \d launch(es)?.* in flight \(the next start resumes them from the journal\))", stopping);
    }

    [Fact]
    public void DescribeInFlight_LaunchesDrainsAndCommands_CountedWithMembers()
    {
        var at = DateTimeOffset.UnixEpoch;
        OperationRecord Op(string id, OperationKind kind, OperationPhase phase, string? label) =>
            new() { Id = id, Pool = "web", Kind = kind, Phase = phase, Label = label, CreatedAt = at, PhaseSince = at };
        var web = new PoolStatus
        {
            Pool = "web",
            Operations =
            [
                Op("1", OperationKind.Launch, OperationPhase.Launching, "web-3"),
                Op("2", OperationKind.Launch, OperationPhase.Launching, null),
                Op("3", OperationKind.Remove, OperationPhase.Draining, "web-1"),
                Op("4", OperationKind.Remove, OperationPhase.Kept, "web-2"),
            ],
        };
        var api = new PoolStatus { Pool = "api" };

        Assert.Equal("web: 2 launches (web-3), 1 drain (web-1) in flight (the next start resumes them from the journal); 1 command running (stopped now)",
            AutoscalerHost.DescribeInFlight([web, api], 1));
        Assert.Equal("no launch, drain or removal in flight", AutoscalerHost.DescribeInFlight([api], 0));
    }

    private static string Format(LogLevel level, string category, EventId id, string message, Exception? exception = null)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 14, 2, 7, TimeSpan.Zero));
        time.SetLocalTimeZone(TimeZoneInfo.Utc);
        var formatter = new PlainConsoleFormatter(new Options(), time);
        using var writer = new StringWriter();
        formatter.Write(new LogEntry<string>(level, category, id, message, exception, (s, _) => s), null, writer);
        return writer.ToString();
    }

    private sealed class Options : IOptionsMonitor<ConsoleFormatterOptions>
    {
        public ConsoleFormatterOptions CurrentValue { get; } = new();

        public ConsoleFormatterOptions Get(string? name) => CurrentValue;

        public IDisposable? OnChange(Action<ConsoleFormatterOptions, string?> listener) => null;
    }
}
