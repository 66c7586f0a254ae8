using System.Text.Json;
using System.Text.Json.Nodes;
using Linode.Emulator.Api;

namespace Linode.Emulator.Faults;

/// <summary>The fault settings in force; replaced as a whole (copy-on-write) so readers never see a half update.</summary>
internal sealed class FaultState
{
    private readonly Random _random;
    private readonly Lock _randomGate = new();
    private EmulatorFaults _current;

    public FaultState(EmulatorFaults initial, Random? random = null)
    {
        _current = initial.Clone();
        _random = random ?? new Random();
    }

    public EmulatorFaults Current => Volatile.Read(ref _current);

    public bool Roll(double rate)
    {
        if (rate <= 0)
        {
            return false;
        }
        if (rate >= 1)
        {
            return true;
        }
        lock (_randomGate)
        {
            return _random.NextDouble() < rate;
        }
    }

    public bool ShouldFailBoot() => Roll(Current.BootFailureRate);

    public JsonObject ToJson()
    {
        var f = Current;
        return new JsonObject
        {
            ["rate_429"] = f.Rate429,
            ["retry_after_seconds"] = f.RetryAfterSeconds,
            ["rate_500"] = f.Rate500,
            ["rate_maintenance"] = f.RateMaintenance,
            ["latency_ms"] = f.LatencyMs,
            ["boot_failure_rate"] = f.BootFailureRate,
        };
    }

    /// <summary>Applies the fields present in <paramref name="body"/>; the others keep their value. Every bad field
    /// is reported and nothing changes unless all are good.</summary>
    public void Update(JsonObject body)
    {
        var next = Current.Clone();
        var problems = new Problems();
        foreach (var (key, value) in body)
        {
            switch (key)
            {
                case "rate_429":
                    next.Rate429 = Number(value, key, problems) ?? next.Rate429;
                    break;
                case "rate_500":
                    next.Rate500 = Number(value, key, problems) ?? next.Rate500;
                    break;
                case "rate_maintenance":
                    next.RateMaintenance = Number(value, key, problems) ?? next.RateMaintenance;
                    break;
                case "boot_failure_rate":
                    next.BootFailureRate = Number(value, key, problems) ?? next.BootFailureRate;
                    break;
                case "retry_after_seconds":
                    next.RetryAfterSeconds = (int?)Number(value, key, problems, whole: true) ?? next.RetryAfterSeconds;
                    break;
                case "latency_ms":
                    next.LatencyMs = (int?)Number(value, key, problems, whole: true) ?? next.LatencyMs;
                    break;
                default:
                    problems.Add(key, "Unknown fault setting");
                    break;
            }
        }
        foreach (var error in next.Validate())
        {
            var colon = error.IndexOf(':', StringComparison.Ordinal);
            problems.Add(error[..colon], error[(colon + 1)..].Trim());
        }
        problems.ThrowIfAny();
        Volatile.Write(ref _current, next);
    }

    private static double? Number(JsonNode? value, string key, Problems problems, bool whole = false)
    {
        if (value is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<double>(out var d))
        {
            if (whole && (Math.Abs(d % 1) > double.Epsilon || d is > int.MaxValue or < int.MinValue))
            {
                problems.Add(key, "Must be a whole number");
                return null;
            }
            return d;
        }
        problems.Add(key, "Must be a number");
        return null;
    }
}
