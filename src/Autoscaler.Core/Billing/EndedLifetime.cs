namespace Autoscaler.Core.Billing;

/// <summary>An instance of a pool that the autoscaler deleted, as the month's bill needs it.</summary>
/// <param name="Pool">Pool name.</param>
/// <param name="MemberId">Provider's instance id.</param>
/// <param name="Created">When the cloud created it.</param>
/// <param name="Deleted">When the delete call was accepted.</param>
/// <param name="Terms">How it was billed.</param>
public sealed record EndedLifetime(string Pool, string MemberId, DateTimeOffset Created, DateTimeOffset Deleted, BillingTerms Terms);
