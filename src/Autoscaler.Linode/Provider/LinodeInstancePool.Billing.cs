using Autoscaler.Core.Billing;
using Autoscaler.Linode.Models;
using Microsoft.Extensions.Logging;

namespace Autoscaler.Linode.Provider;

/// <summary>The pool's billing terms: the price of its type in its region (<c>GET /linode/types/{type}</c>, read once
/// and cached) and the account's billing period, reported with every snapshot.</summary>
public sealed partial class LinodeInstancePool
{
    /// <summary>How long after a failed price read the next snapshot tries again.</summary>
    private static readonly TimeSpan PriceRetryAfter = TimeSpan.FromMinutes(1);

    private readonly TimeSpan _billingPeriod;
    private BillingTerms? _terms;
    private DateTimeOffset _priceRetryAt = DateTimeOffset.MinValue;

    /// <summary>The billing terms last reported (null until the type's price was read).</summary>
    public BillingTerms? BillingTerms
    {
        get
        {
            lock (_lock)
            {
                return _terms;
            }
        }
    }

    /// <summary>Takes the pool's price from an already read type (the factory's catalog check).</summary>
    internal void UseTypePrice(LinodeType type)
    {
        _view.UseType(type);
        if (TermsOf(type) is { } terms)
        {
            lock (_lock)
            {
                _terms = terms;
            }
        }
    }

    /// <summary>The cached terms, reading the type once when there are none yet. A failed read (API down, a type
    /// without price) is logged and reported as unknown (null: the engine then scales in without billing awareness)
    /// and tried again a minute later, never on every snapshot.</summary>
    private async Task<BillingTerms?> BillingTermsAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_terms is not null || now < _priceRetryAt)
            {
                return _terms;
            }

            _priceRetryAt = now + PriceRetryAfter;
        }

        try
        {
            // Pools of one type share the read (the view keeps the type).
            var type = await _view.TypeAsync(_linode.Type, cancellationToken).ConfigureAwait(false);
            var terms = TermsOf(type);
            if (terms is null)
            {
                LogPriceUnknown(_config.Name, _linode.Type, _linode.Region, "the type has no hourly price");
                return null;
            }

            lock (_lock)
            {
                _terms = terms;
            }

            return terms;
        }
        catch (LinodeException ex)
        {
            LogPriceUnknown(_config.Name, _linode.Type, _linode.Region, ex.Message);
            return null;
        }
    }

    private BillingTerms? TermsOf(LinodeType type) =>
        type.PriceIn(_linode.Region) is { Hourly: { } hourly } price && hourly >= 0
            ? new BillingTerms(new InstancePrice(hourly, price.Monthly is { } m && m >= 0 ? m : null), _billingPeriod)
            : null;

    [LoggerMessage(EventId = 160, Level = LogLevel.Warning, Message = "pool {Pool}: price of type {Type} in {Region} unknown ({Why}): scale-in ignores billing until it is read (retried in a minute)")]
    private partial void LogPriceUnknown(string pool, string type, string region, string why);
}
