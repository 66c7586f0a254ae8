using System.Globalization;
using Autoscaler.Core.Alerts;
using Autoscaler.Core.Audit;
using Autoscaler.Core.Pools;
using Autoscaler.Linode;
using Autoscaler.Linode.Models;
using Autoscaler.Load;
using Autoscaler.Service;
using Autoscaler.Service.Api;

namespace Autoscaler.Sandbox.Demo;

/// <summary>The run's eyes: once a second it reads the engine, Prometheus and the audit trail, and reports what
/// changed; and it watches the cloud for the first new node that serves.</summary>
public sealed partial class DemoRunner
{
    private async Task WaitPoolReadyAsync(AutoscalerHost service, MonitoringStack monitoring, CancellationToken ct)
    {
        var deadline = _time.GetUtcNow() + _settings.StartTimeout;
        var serving = false;
        while (true)
        {
            var view = service.Engine.GetStatus(_settings.Pool).View;
            if (!serving && view is { Launching: 0 } && view.Serving >= _settings.Min)
            {
                serving = true;
                _reporter.OnStep($"pool '{_settings.Pool}': {view.Serving} instances serving ("
                    + string.Join(", ", view.Members.Where(m => m.Lifecycle == MemberLifecycle.Serving).Select(m => $"{m.Member.Label} {m.Member.Address}")) + ")");
                foreach (var m in view.Members)
                {
                    _lifecycles[m.Member.Id] = m.Lifecycle;
                    InstanceListening(m.Member);
                }
            }

            if (serving)
            {
                var up = await monitoring.TargetsUpAsync(_settings.Pool, ct);
                var cpu = await monitoring.QueryAsync($"{MonitoringStack.CpuSeries}{{pool=\"{_settings.Pool}\"}}", ct);
                if (up >= _settings.Min && cpu is not null)
                {
                    _reporter.OnStep(string.Create(CultureInfo.InvariantCulture, $"prometheus scrapes {up} targets; pool CPU {cpu:0}%"));
                    return;
                }
            }

            if (_time.GetUtcNow() > deadline)
            {
                throw new SandboxSetupException(serving
                    ? $"prometheus did not scrape the pool's instances within {_settings.StartTimeout.TotalSeconds:0} s (see logs/prometheus.log)"
                    : $"the pool's first {_settings.Min} instances did not serve within {_settings.StartTimeout.TotalSeconds:0} s (see logs/autoscaler.log and logs/emulator.log)");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), _time, ct);
        }
    }

    private async Task TickAsync(AutoscalerHost service, MonitoringStack monitoring, bool load, CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        var at = now - _origin;
        var status = service.Engine.GetStatus(_settings.Pool);
        var view = status.View;
        var cpu = await monitoring.QueryAsync($"{MonitoringStack.CpuSeries}{{pool=\"{_settings.Pool}\"}}", ct);
        var l = load ? Volatile.Read(ref _lastLoad) : null;
        // The load's last window can be a sliver of a second, whose per-second rates mean nothing.
        if (l is { LengthSeconds: < 0.5 })
        {
            l = null;
        }

        var sample = new DemoSample
        {
            Seconds = Math.Round(at.TotalSeconds, 1),
            Phase = load ? _profile.PhaseAt(at) : "settle",
            OfferedRps = load ? _profile.Load.RateAt(at) : 0,
            SentRps = l?.SentRate ?? 0,
            OkRps = l?.OkRate ?? 0,
            Errors = l?.Errors ?? 0,
            P95Ms = l?.P95Ms,
            CpuPercent = cpu,
            Desired = status.Desired,
            Instances = view?.Live ?? 0,
            Serving = view?.Serving ?? 0,
            Booting = view?.Launching ?? 0,
            Draining = view?.Removing ?? 0,
            CapacityRps = (view?.Serving ?? 0) * _settings.InstanceCapacity,
        };

        CollectAlerts(service);
        CollectEvents(service, report: true);
        CollectLifecycles(view);
        _samples.Add(sample);
        _reporter.OnSample(sample);
    }

    private void CollectAlerts(AutoscalerHost service)
    {
        foreach (var alert in service.Alerts.Snapshot().OrderBy(a => a.LastSeenAt))
        {
            if (alert.AlertName is not ("PoolCpuHigh" or "PoolCpuLow")
                || !alert.Labels.TryGetValue("pool", out var pool) || pool != _settings.Pool)
            {
                continue;
            }

            if (alert.Status == AlertStatus.Firing && alert.AlertName == "PoolCpuHigh" && alert.FirstSeenAt >= _origin
                && (_firstHighReceivedAt is null || alert.FirstSeenAt < _firstHighReceivedAt))
            {
                _firstHighReceivedAt = alert.FirstSeenAt;
            }

            var key = alert.Fingerprint + "/" + alert.FirstSeenAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
            if (_alertStatus.TryGetValue(key, out var known) && known == alert.Status)
            {
                continue;
            }

            _alertStatus[key] = alert.Status;
            var text = alert.Status == AlertStatus.Firing
                ? $"alert {alert.AlertName} firing, received by the webhook"
                    + (alert.Annotations.TryGetValue("summary", out var summary) ? ": " + summary : "")
                : $"alert {alert.AlertName} resolved";
            Report(new DemoEvent(Since(alert.Status == AlertStatus.Firing ? alert.FirstSeenAt : alert.LastSeenAt), "alert", text));
        }
    }

    private void CollectEvents(AutoscalerHost service, bool report)
    {
        var fresh = service.Store.GetEvents(_settings.Pool, 500)
            .Where(e => _seenEvents.TryAdd((e.Decision is not null, e.Id), 0))
            .OrderBy(e => e.At)
            .ToArray();
        foreach (var e in fresh)
        {
            if (e.Decision is { } d)
            {
                _decisions.Add(d);
                if (report && d.Action is DecisionAction.ScaleUp or DecisionAction.ScaleDown)
                {
                    var arrow = d.Action == DecisionAction.ScaleUp ? "▲ scale-up" : "▼ scale-down";
                    Report(new DemoEvent(Since(d.At), "decision", $"{arrow} {d.PreviousDesired} → {d.Desired}: {d.Reason}"));
                }
            }
            else if (e.Operation is { } o)
            {
                _operations.Add(o);
                if (report && (o.Type is OperationEventType.Kept or OperationEventType.ReleaseCancelled or OperationEventType.Cancelled
                    || (o.Type == OperationEventType.Started && o.Detail.StartsWith("release", StringComparison.Ordinal))))
                {
                    // Billing-aware scale-in: a surplus member kept to the end of its paid period, released then, or
                    // taken back when the need returns.
                    Report(new DemoEvent(Since(o.At), "billing", $"{o.Label ?? o.MemberId} {o.Detail}"));
                }
                else if (report && o.Type is OperationEventType.Succeeded or OperationEventType.Failed)
                {
                    var what = o.Kind == OperationKind.Launch ? "launched" : "removed";
                    Report(new DemoEvent(Since(o.At), "operation", o.Type == OperationEventType.Succeeded
                        ? $"{o.Label ?? o.MemberId} {what}"
                        : $"{o.Kind.ToString().ToLowerInvariant()} {o.Label ?? o.MemberId} failed: {o.Detail}"));
                }
            }
        }
    }

    private void CollectLifecycles(PoolView? view)
    {
        foreach (var m in view?.Members ?? [])
        {
            InstanceListening(m.Member);

            if (_lifecycles.TryGetValue(m.Member.Id, out var before) && before == m.Lifecycle)
            {
                continue;
            }

            _lifecycles[m.Member.Id] = m.Lifecycle;
            if (m.Lifecycle is MemberLifecycle.Serving or MemberLifecycle.Draining or MemberLifecycle.Unhealthy)
            {
                var text = m.Lifecycle switch
                {
                    MemberLifecycle.Serving => $"{m.Member.Label} serving (node UP)",
                    MemberLifecycle.Draining => $"{m.Member.Label} draining",
                    _ => $"{m.Member.Label} unhealthy",
                };
                Report(new DemoEvent(Since(view!.At), "operation", text));
            }
        }
    }

    private void Listening(string name, Uri endpoint, int? processId = null)
    {
        if (_endpoints.Add(endpoint))
        {
            _reporter.OnPart(name, endpoint, processId);
        }
    }

    private void InstanceListening(PoolMember member)
    {
        if (member.Address is { } a)
        {
            Listening(member.Label, new Uri($"http://{a}:{AppPort}/"));
            Listening(member.Label, new Uri($"http://{a}:{MetricsPort}/"));
        }
    }

    private void Report(DemoEvent e)
    {
        _events.Add(e);
        _reporter.OnEvent(e);
    }

    /// <summary>The autoscaler's month-to-date bill (its billing model over the pool's members and its ledger) and the
    /// emulator's <c>balance_uninvoiced</c>, read together; nulls when either cannot be read.</summary>
    private async Task<(decimal? Billed, decimal? Balance)> BillsAsync(AutoscalerHost service, SandboxEmulator emulator, CancellationToken ct)
    {
        var figures = new BillingFigures(service.Store, _time);
        try
        {
            var (ours, cloud) = await BillCheck.ReadAsync(emulator, async token =>
            {
                var bill = await figures.ComputeAsync(service.Engine.GetStatus(_settings.Pool), token);
                return new OurBill(bill?.BilledUsd, bill?.PaidUntil.Values.ToArray() ?? []);
            }, _settings.BillingPeriod, _time, cancellationToken: ct);
            _reporter.OnStep($"billed this month: ${Usd(ours)} by the autoscaler's reckoning, ${Usd(cloud)} by the emulator's balance_uninvoiced "
                + (ours == cloud ? "(they agree)" : "(they DIFFER)"));
            return (ours, cloud);
        }
        catch (Exception e) when (e is HttpRequestException or InvalidOperationException or System.Text.Json.JsonException)
        {
            _reporter.OnStep($"billed this month: not read ({e.Message})");
            return (null, null);
        }
    }

    /// <summary>USD as people read it: at least cents, at most the four decimals of an hourly price.</summary>
    internal static string Usd(decimal? usd) => usd?.ToString("0.00##", CultureInfo.InvariantCulture) ?? "unknown";

    private async Task<bool> IsSettledAsync(AutoscalerHost service, StandaloneLinodeClient linode, string poolTag, CancellationToken ct)
    {
        var status = service.Engine.GetStatus(_settings.Pool);
        if (status.View is not { } v || v.Live != _settings.Min || v.Serving != _settings.Min || v.Launching != 0 || v.Removing != 0
            || status.Operations.Count != 0)
        {
            return false;
        }

        var tagged = await linode.Instances.ListAsync(Filter.Tag(poolTag), ct).ToListAsync(ct);
        return tagged.Count == _settings.Min && tagged.All(i => i.Status == InstanceStatus.Running);
    }

    /// <summary>The pool's size as the cloud has it, and its leaks: pool-tagged instances that are neither a node of
    /// the NodeBalancer nor the subject of an open operation.</summary>
    private static async Task<(int Final, int Leaked)> CountPoolAsync(StandaloneLinodeClient linode, string poolTag, long nbId, long configId,
        HashSet<string> inOperation, CancellationToken ct)
    {
        var instances = await linode.Instances.ListAsync(Filter.Tag(poolTag), ct).ToListAsync(ct);
        var nodes = (await linode.NodeBalancers.ListNodesAsync(nbId, configId, ct).ToListAsync(ct))
            .Select(n => n.Address.Split(':')[0])
            .ToHashSet(StringComparer.Ordinal);
        var leaked = instances.Count(i => i.Status != InstanceStatus.Deleting && !(i.PrivateIpv4 is { } ip && nodes.Contains(ip))
            && !inOperation.Contains(i.Id.ToString(CultureInfo.InvariantCulture)));
        return (instances.Count(i => i.Status != InstanceStatus.Deleting), leaked);
    }

    private async Task<DateTimeOffset?> WatchFirstNewNodeAsync(StandaloneLinodeClient linode, long nbId, long configId, HashSet<string> initial,
        DateTimeOffset spikeAt, CancellationToken ct)
    {
        var wait = spikeAt - _time.GetUtcNow();
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, _time, ct);
        }

        while (true)
        {
            try
            {
                await foreach (var node in linode.NodeBalancers.ListNodesAsync(nbId, configId, ct))
                {
                    if (node.Status == Autoscaler.Linode.Models.NodeStatus.Up && !initial.Contains(node.Address))
                    {
                        return _time.GetUtcNow();
                    }
                }
            }
            catch (Exception e) when (e is LinodeException or HttpRequestException && !ct.IsCancellationRequested)
            {
                // A failed poll is retried; the emulator is local and answers the next one.
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), _time, ct);
        }
    }
}
