namespace Autoscaler.Core.Billing;

/// <summary>
/// How the cloud bills one instance of a pool: its price (per started period, capped per calendar month) and the
/// period (an hour on the clouds this models). The provider reports them with each snapshot, so Core never holds a price list.
/// </summary>
/// <param name="Price">The price of the pool's instance type in its region.</param>
/// <param name="Period">The billing period (an hour on hourly clouds; a demo shortens it).</param>
public sealed record BillingTerms(InstancePrice Price, TimeSpan Period)
{
    /// <summary>The billing model for these terms.</summary>
    public HourlyBilling Model => new(Price, Period);
}
