namespace Autoscaler.Linode.Http;

/// <summary>Per-call facts that the handlers and the resilience pipeline need, carried in the request's options.</summary>
internal sealed class LinodeRequestContext
{
    public static readonly HttpRequestOptionsKey<LinodeRequestContext> Key = new("Autoscaler.Linode.Request");

    private int _attempts;

    public LinodeRequestContext(string endpoint, bool idempotent, bool paginated = false)
    {
        Endpoint = endpoint;
        Idempotent = idempotent;
        Paginated = paginated;
    }

    /// <summary>The answer is a page of a collection: the request counts against the paginated-GET bucket.</summary>
    public bool Paginated { get; }

    /// <summary>The endpoint template, e.g. <c>GET /linode/instances/{linodeId}</c> (metric tag; no ids).</summary>
    public string Endpoint { get; }

    /// <summary>False for requests that may have acted even when the answer was lost (creates, actions):
    /// those are retried only when the API says it did not act (429, "Linode busy.") or nothing was sent.</summary>
    public bool Idempotent { get; }

    public int Attempts => Volatile.Read(ref _attempts);

    public int NextAttempt() => Interlocked.Increment(ref _attempts);

    public static LinodeRequestContext? Of(HttpRequestMessage? request) =>
        request is not null && request.Options.TryGetValue(Key, out var context) ? context : null;
}
