using System.Globalization;
using Autoscaler.Core.Configuration;
using Autoscaler.Core.Signals;

namespace Autoscaler.Core.Tests.Seams;

/// <summary>A signal kind that lives only in the tests: <c>fixed: N</c> always wants N instances. Everything a kind
/// needs is here; one line registers it (<see cref="SeamSchemas"/>).</summary>
internal sealed class FixedSignalKind : ISignalKind
{
    public string Name => "fixed";

    public string Description => "fixed";

    public bool Claims(MapReader entry) => entry.Has("fixed");

    public SignalConfig? Read(MapReader entry, SignalReadContext context)
    {
        var size = entry.Int("fixed", required: true);
        if (size is < 0)
        {
            entry.Error($"{entry.Context}{context.Path}.fixed must be >= 0", entry.Raw("fixed"));
            return null;
        }

        return size is null ? null : new FixedSignalConfig { Index = context.Index, Size = size.Value };
    }
}

internal sealed record FixedSignalConfig : SignalConfig
{
    public int Size { get; init; }

    public override string DisplayName => $"signals[{Index}] fixed {Size}";

    public override string Describe() => "fixed: " + Size.ToString(CultureInfo.InvariantCulture);

    public override IScalingSignal CreateSignal(SignalBuildContext context) => new FixedSignal(this);
}

internal sealed class FixedSignal(FixedSignalConfig config) : IScalingSignal
{
    public string Name => config.DisplayName;

    public ValueTask<Recommendation> EvaluateAsync(SignalContext context, CancellationToken cancellationToken)
    {
        var direction = config.Size > context.Desired ? ScaleDirection.Up : config.Size < context.Desired ? ScaleDirection.Down : ScaleDirection.Hold;
        return ValueTask.FromResult(new Recommendation { Signal = Name, Direction = direction, Desired = config.Size, Reason = $"fixed at {config.Size}" });
    }
}
