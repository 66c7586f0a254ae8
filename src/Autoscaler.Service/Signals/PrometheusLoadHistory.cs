using Autoscaler.Core.Signals.Forecast;
using Autoscaler.PrometheusApi;

namespace Autoscaler.Service.Signals;

/// <summary>
/// <see cref="ILoadHistory"/> over Prometheus' range query API (<c>GET /api/v1/query_range</c>, in chunks under its
/// point limit, through <see cref="PrometheusClient"/>): a step without a value is left out (a gap, not a zero); an
/// error, an HTTP error or an unreachable server is a missing history with the reason. Only the caller's own
/// cancellation is thrown.
/// </summary>
public sealed class PrometheusLoadHistory : ILoadHistory
{
    private readonly PrometheusClient _client;
    private readonly TimeSpan _timeout;

    /// <summary>Creates the source over <paramref name="http"/> (the caller owns it).</summary>
    /// <param name="http">Client to use.</param>
    /// <param name="timeout">Time allowed for one history read (all its chunks). Default 30 s.</param>
    public PrometheusLoadHistory(HttpClient http, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        _client = new PrometheusClient(http);
        _timeout = timeout ?? TimeSpan.FromSeconds(30);
    }

    /// <inheritdoc />
    public async ValueTask<LoadHistory> ReadRangeAsync(LoadHistoryQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.To < query.From)
        {
            return new LoadHistory();
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        RangeQueryResult answer;
        try
        {
            answer = await _client.QueryRangeAsync(query.Prometheus, query.Query, query.From, query.To, query.Step, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return LoadHistory.Missing(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"Prometheus did not answer the range query within {_timeout.TotalSeconds:0} s"));
        }

        if (answer.Error is { } error)
        {
            return LoadHistory.Missing(error.Message);
        }

        var samples = new List<(DateTimeOffset, double)>(answer.Values.Count);
        for (var i = 0; i < answer.Values.Count; i++)
        {
            if (answer.Values[i] is { } v)
            {
                samples.Add((query.From + (query.Step * i), v));
            }
        }

        return new LoadHistory { Samples = samples };
    }
}
