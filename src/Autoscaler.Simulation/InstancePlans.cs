using Autoscaler.Core.Billing;

namespace Autoscaler.Simulation;

/// <summary>A Linode plan's size and list price, for backtests.</summary>
/// <param name="Type">Plan id, e.g. <c>g6-standard-1</c>.</param>
/// <param name="Vcpus">Virtual CPUs.</param>
/// <param name="HourlyPrice">USD per started hour in the regions with the base price list.</param>
/// <param name="MonthlyPrice">USD cap per instance per calendar month in those regions.</param>
public sealed record InstancePlan(string Type, int Vcpus, decimal HourlyPrice, decimal MonthlyPrice)
{
    /// <summary>The plan's price as the billing model takes it.</summary>
    public InstancePrice Price => new(HourlyPrice, MonthlyPrice);
}

/// <summary>
/// The shared and dedicated Linode plans (the list prices in force since 2023, the same table the emulator serves),
/// and the Workload's CPU model that turns a plan into requests per second.
/// </summary>
public static class InstancePlans
{
    private static readonly Dictionary<string, InstancePlan> Plans = new InstancePlan[]
    {
        new("g6-nanode-1", 1, 0.0075m, 5m),
        new("g6-standard-1", 1, 0.018m, 12m),
        new("g6-standard-2", 2, 0.036m, 24m),
        new("g6-standard-4", 4, 0.072m, 48m),
        new("g6-standard-6", 6, 0.144m, 96m),
        new("g6-standard-8", 8, 0.288m, 192m),
        new("g6-dedicated-2", 2, 0.054m, 36m),
        new("g6-dedicated-4", 4, 0.108m, 72m),
        new("g6-dedicated-8", 8, 0.216m, 144m),
        new("g6-dedicated-16", 16, 0.432m, 288m),
    }.ToDictionary(p => p.Type, StringComparer.Ordinal);

    /// <summary>The Workload's default CPU cost of one request, in milliseconds.</summary>
    public const int DefaultWorkMs = 50;

    /// <summary>Every known plan.</summary>
    public static IReadOnlyCollection<InstancePlan> All => Plans.Values;

    /// <summary>The plan called <paramref name="type"/>, or null.</summary>
    public static InstancePlan? Find(string? type) => type is not null && Plans.TryGetValue(type, out var p) ? p : null;

    /// <summary>Requests per second an instance serves at 100 % CPU in the Workload's model: each request holds one of
    /// <paramref name="vcpus"/> CPUs for <paramref name="workMs"/> milliseconds.</summary>
    public static double Capacity(int vcpus, double workMs)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vcpus, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(workMs, 0);
        return vcpus * 1000.0 / workMs;
    }
}
