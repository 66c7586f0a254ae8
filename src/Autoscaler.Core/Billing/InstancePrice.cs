namespace Autoscaler.Core.Billing;

/// <summary>
/// What one instance of a type costs in one region: a price per started billing period (an hour on the clouds this
/// models) and a cap per calendar month. Money is <see cref="decimal"/> so that two parties summing the same periods
/// (the autoscaler and a cloud's running balance) agree to the cent.
/// </summary>
/// <param name="Hourly">USD per started billing period; non-negative.</param>
/// <param name="Monthly">USD cap per instance per calendar month (UTC); null when the type has no cap.</param>
public sealed record InstancePrice(decimal Hourly, decimal? Monthly = null)
{
    /// <summary>Every problem with this price, each naming its field; empty when the price is usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Hourly < 0)
        {
            errors.Add($"hourly price ({Hourly}) is negative");
        }

        if (Monthly is { } monthly && monthly < 0)
        {
            errors.Add($"monthly price ({monthly}) is negative");
        }

        return errors;
    }
}

/// <summary>One instance's life as billing sees it: from the create call to the delete call.</summary>
/// <param name="Created">When the create call was accepted (the cloud's <c>created</c>).</param>
/// <param name="Deleted">When the delete call was accepted; null while the instance exists.</param>
public readonly record struct Lifetime(DateTimeOffset Created, DateTimeOffset? Deleted = null);

/// <summary>An instance's charge in one calendar month.</summary>
/// <param name="Month">First instant of the month (UTC).</param>
/// <param name="Periods">Billing periods that started in that month.</param>
/// <param name="Charge">USD: <c>min(Periods × hourly, monthly)</c>.</param>
public readonly record struct MonthCharge(DateTimeOffset Month, long Periods, decimal Charge);
