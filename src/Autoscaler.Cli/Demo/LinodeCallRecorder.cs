using System.Diagnostics.Metrics;

namespace Autoscaler.Cli.Demo;

/// <summary>One Linode API attempt made by the autoscaler service: when it was sent and what it was.</summary>
/// <param name="SentAt">When the request left (its end minus its duration).</param>
/// <param name="Endpoint">The endpoint template, e.g. <c>POST /linode/instances</c>.</param>
/// <param name="Status">HTTP status, or an error name.</param>
public sealed record LinodeCall(DateTimeOffset SentAt, string Endpoint, string Status);

/// <summary>
/// Records the Linode API calls of the autoscaler service running in this process, from its client's
/// <c>Autoscaler.Linode</c> meter (only meters made by a meter factory, i.e. the service's: the demo's own client has
/// a meter without a scope). This gives the time of the first cloud call a scale-up makes, to the millisecond.
/// </summary>
public sealed class LinodeCallRecorder : IDisposable
{
    private const string MeterName = "Autoscaler.Linode";
    private const string DurationInstrument = "linode.client.request.duration";

    private readonly MeterListener _listener;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly List<LinodeCall> _calls = [];

    public LinodeCallRecorder(TimeProvider time)
    {
        _time = time;
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == MeterName && instrument.Meter.Scope is not null && instrument.Name == DurationInstrument)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _listener.SetMeasurementEventCallback<double>((_, seconds, tags, _) =>
        {
            string endpoint = "?", status = "?";
            foreach (var tag in tags)
            {
                if (tag.Key == "endpoint")
                {
                    endpoint = tag.Value as string ?? "?";
                }
                else if (tag.Key == "status")
                {
                    status = tag.Value as string ?? "?";
                }
            }

            var call = new LinodeCall(_time.GetUtcNow() - TimeSpan.FromSeconds(seconds), endpoint, status);
            lock (_lock)
            {
                _calls.Add(call);
            }
        });
        _listener.Start();
    }

    /// <summary>Every call recorded so far, in the order they ended.</summary>
    public IReadOnlyList<LinodeCall> Calls
    {
        get
        {
            lock (_lock)
            {
                return _calls.ToArray();
            }
        }
    }

    public void Dispose() => _listener.Dispose();
}
