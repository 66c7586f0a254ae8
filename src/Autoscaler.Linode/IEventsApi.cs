using Autoscaler.Linode.Models;

namespace Autoscaler.Linode;

/// <summary><c>/account/events</c>.</summary>
public interface IEventsApi
{
    /// <summary>Events of the last 90 days. Pass a filter (e.g. <c>Filter.Gte("created", since)</c>, ordered by
    /// <c>created</c> descending) and stop enumerating early to read only the first page.</summary>
    IAsyncEnumerable<LinodeEvent> ListAsync(Filter? filter = null, CancellationToken cancellationToken = default);

    Task<LinodeEvent> GetAsync(long eventId, CancellationToken cancellationToken = default);

    /// <summary>Marks the event, and every older one, as seen.</summary>
    Task MarkSeenAsync(long eventId, CancellationToken cancellationToken = default);
}
