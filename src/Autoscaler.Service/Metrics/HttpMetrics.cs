using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Prometheus;

namespace Autoscaler.Service.Metrics;

/// <summary>
/// The service's own HTTP requests: <c>autoscaler_http_requests_total</c> and
/// <c>autoscaler_http_request_duration_seconds</c>, labelled <c>method</c>, <c>route</c> (the endpoint's template,
/// e.g. <c>/api/v1/pools/{pool}</c>, so pool names do not multiply series; <c>unmatched</c> for a path no endpoint
/// serves) and <c>code</c>. Written here rather than prometheus-net's UseHttpMetrics, whose controller/action labels
/// are always empty for minimal APIs and which records into the process-wide registry.
/// </summary>
public sealed class HttpMetrics
{
    private static readonly HashSet<string> KnownMethods = new(StringComparer.Ordinal) { "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS" };
    private readonly Counter _requests;
    private readonly Histogram _duration;

    internal HttpMetrics(MetricFactory factory)
    {
        _requests = factory.CreateCounter("autoscaler_http_requests_total", "HTTP requests the service answered, by method, route template and status code.",
            "method", "route", "code");
        _duration = factory.CreateHistogram("autoscaler_http_request_duration_seconds", "Time to answer an HTTP request, by method, route template and status code.",
            new HistogramConfiguration
            {
                LabelNames = ["method", "route", "code"],
                Buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
            });
    }

    /// <summary>Adds the measuring middleware; call after <c>UseRouting</c> so the route template is known.</summary>
    public void Use(IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.Use(async (context, next) =>
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                await next(context).ConfigureAwait(false);
            }
            finally
            {
                Record(context, Stopwatch.GetElapsedTime(started));
            }
        });
    }

    private void Record(HttpContext context, TimeSpan elapsed)
    {
        var template = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText;
        var route = template is null ? "unmatched" : template.StartsWith('/') ? template : "/" + template;

        // An aborted request has no status the client saw; 499 is the convention (nginx) for "client closed".
        var status = context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted ? 499 : context.Response.StatusCode;
        var code = status.ToString(CultureInfo.InvariantCulture);
        // Any other verb a client invents would be a new series each: one label value for all of them.
        var method = KnownMethods.Contains(context.Request.Method) ? context.Request.Method : "other";
        _requests.WithLabels(method, route, code).Inc();
        _duration.WithLabels(method, route, code).Observe(elapsed.TotalSeconds);
    }
}
