using System.Globalization;
using Autoscaler.Core.Audit;
using Autoscaler.Core.Billing;
using Autoscaler.Core.Configuration;

namespace Autoscaler.Core.Pools;

// Billing-aware scale-in (scale_down.billing: hourly with known terms): surplus members are kept serving until just
// before their paid period ends, released then, and taken back by a scale-up while they drain.
public sealed partial class Reconciler
{
    private readonly IBillingLedger? _ledger;
    private Dictionary<string, KeptMember> _kept = new(StringComparer.Ordinal);
    private bool _keptChanged;
    private BillingTerms? _terms;
    private HourlyBilling? _model;

    /// <summary>A surplus member kept serving: its paid period's end and when it is to be released.</summary>
    private readonly record struct KeptMember(DateTimeOffset PaidUntil, DateTimeOffset ReleaseAt);

    /// <summary>The billing model when scale-in is billing-aware now (configured hourly and the terms known).</summary>
    private HourlyBilling? AwareModel => _config.ScaleDown.Billing == BillingMode.Hourly ? _model : null;

    /// <summary>The view with the kept members of the pass just made (paid-until, release time), when they changed;
    /// the same view otherwise. For status: the engine's next cycle sees them anyway.</summary>
    public PoolView Refresh(PoolView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        if (!_keptChanged)
        {
            return view;
        }

        _keptChanged = false;
        var members = new MemberView[view.Members.Count];
        for (var i = 0; i < members.Length; i++)
        {
            members[i] = Annotate(view.Members[i], view.At);
        }

        return view.WithMembers(members);
    }

    private void UseTerms(BillingTerms? terms)
    {
        if (terms is null)
        {
            _terms = null;
            _model = null;
        }
        else if (_terms is null || !_terms.Equals(terms))
        {
            _terms = terms;
            _model = terms.Model;
        }
    }

    private MemberView Annotate(MemberView mv, DateTimeOffset now)
    {
        if (_model is null)
        {
            return mv;
        }

        if (mv.IsLive && _kept.TryGetValue(mv.Member.Id, out var k))
        {
            return mv with { PaidUntil = k.PaidUntil, ReleaseAt = k.ReleaseAt };
        }

        return mv with { PaidUntil = _model.PaidUntil(mv.Member.CreatedAt, now), ReleaseAt = null };
    }

    /// <summary>
    /// Scale-in with billing in mind. Unhealthy surplus members go at once (they serve nothing). The other surplus
    /// members, paid-until soonest first (never a protected one), are kept serving until their release point
    /// <c>paidUntil − drain − release_margin</c>; from there, while the delete can still land before paid-until, they
    /// are released as any victim (drain, remove, delete); a member whose window passed is kept to the next period's
    /// end, which is paid anyway. Nothing is remembered but the kept set, and only to report transitions: a restart
    /// recomputes the same set from the members' creation times.
    /// </summary>
    private async Task RemoveExcessBillingAwareAsync(PoolView view, int desired, int min, HourlyBilling billing, DateTimeOffset now, Counts counts, CancellationToken ct)
    {
        var floor = Math.Max(desired, min);
        var excess = view.Live - floor;
        var next = new Dictionary<string, KeptMember>(StringComparer.Ordinal);
        if (excess > 0)
        {
            var candidates = view.Members.Where(m => m.IsLive && !m.Member.Protected && !IsTracked(m.Member.Id)).ToList();
            var unhealthy = candidates.Where(m => m.Lifecycle == MemberLifecycle.Unhealthy)
                .OrderByDescending(m => m.Member.CreatedAt).ThenBy(m => m.Member.Id, StringComparer.Ordinal).Take(excess).ToList();
            foreach (var victim in unhealthy)
            {
                var reason = $"scale-in: need {floor} < live {view.Live}; {victim.Member.Label} is unhealthy: removed at once (it serves nothing)";
                await StartRemovalAsync(victim, drain: false, reason, now, counts, ct).ConfigureAwait(false);
            }

            var rest = excess - unhealthy.Count;
            var newestFirst = _config.ScaleDown.Victim == VictimPolicy.Newest;
            var chosen = candidates.Where(m => m.Lifecycle != MemberLifecycle.Unhealthy)
                .Select(m => (View: m, Paid: billing.PaidUntil(m.Member.CreatedAt, now)))
                .OrderBy(c => c.Paid)
                .ThenBy(c => newestFirst ? -c.View.Member.CreatedAt.UtcTicks : c.View.Member.CreatedAt.UtcTicks)
                .ThenBy(c => c.View.Member.Id, StringComparer.Ordinal)
                .Take(rest)
                .ToList();
            if (chosen.Count < rest)
            {
                counts.Blocked += rest - chosen.Count;
                LogRemovalBlocked(_config.Name, rest - chosen.Count);
            }

            foreach (var (victim, paid) in chosen)
            {
                var serving = victim.Lifecycle == MemberLifecycle.Serving;
                var drain = serving && victim.Member.Node is not null && _config.ScaleDown.Drain > TimeSpan.Zero ? DrainTime : TimeSpan.Zero;
                var paidUntil = paid;
                var releaseAt = paidUntil - drain - _config.ScaleDown.ReleaseMargin;
                if (now >= releaseAt)
                {
                    if (now + drain < paidUntil)
                    {
                        var reason = $"release: paid until {Clock(paidUntil)} (in {Minutes(paidUntil - now)}), need {floor} < live {view.Live}; {victim.Member.Label} goes now so that its delete lands before its paid period ends";
                        await StartRemovalAsync(victim, drain: serving, reason, now, counts, ct).ConfigureAwait(false);
                        continue;
                    }

                    // Too late to delete within this period: the next one is paid anyway, so keep serving through it.
                    paidUntil += billing.Period;
                    releaseAt = paidUntil - drain - _config.ScaleDown.ReleaseMargin;
                }

                next[victim.Member.Id] = new KeptMember(paidUntil, releaseAt);
            }
        }

        await ReportKeptAsync(view, next, floor, now, ct).ConfigureAwait(false);
    }

    private async Task ReportKeptAsync(PoolView view, Dictionary<string, KeptMember> next, int floor, DateTimeOffset now, CancellationToken ct)
    {
        foreach (var (id, k) in next)
        {
            var renewed = _kept.TryGetValue(id, out var before) && before.PaidUntil != k.PaidUntil;
            if (_kept.ContainsKey(id) && !renewed)
            {
                continue;
            }

            var mv = view.Find(id)!;
            var detail = renewed
                ? $"kept for another period: paid until {Clock(k.PaidUntil)} (in {Minutes(k.PaidUntil - now)}), release at {Clock(k.ReleaseAt)}, need {floor} < live {view.Live}"
                : $"kept: paid until {Clock(k.PaidUntil)} (in {Minutes(k.PaidUntil - now)}), need {floor} < live {view.Live}; release at {Clock(k.ReleaseAt)}";
            await EmitKeptAsync(mv.Member, OperationEventType.Kept, detail, ct).ConfigureAwait(false);
        }

        foreach (var id in _kept.Keys)
        {
            if (next.ContainsKey(id) || IsTracked(id) || view.Find(id) is not { IsLive: true } mv)
            {
                // Still kept, released this pass, or gone: no cancellation to report.
                continue;
            }

            await EmitKeptAsync(mv.Member, OperationEventType.ReleaseCancelled, $"release cancelled: need came back (need {floor}, live {view.Live})", ct).ConfigureAwait(false);
        }

        if (next.Count != _kept.Count || next.Any(n => !_kept.TryGetValue(n.Key, out var k) || k != n.Value))
        {
            _keptChanged = true;
        }

        _kept = next;
    }

    private void ForgetKept()
    {
        if (_kept.Count > 0)
        {
            _kept = new Dictionary<string, KeptMember>(StringComparer.Ordinal);
            _keptChanged = true;
        }
    }

    private Task EmitKeptAsync(PoolMember member, OperationEventType type, string detail, CancellationToken ct)
    {
        var op = new OperationRecord
        {
            Id = "keep-" + member.Id,
            Pool = _config.Name,
            Kind = OperationKind.Remove,
            Phase = OperationPhase.Kept,
            MemberId = member.Id,
            Label = member.Label,
            Reason = detail,
        };
        return EmitAsync(op, type, member.Id, detail, ct);
    }

    /// <summary>
    /// Takes back members still draining for a scale-in (most paid time left first): their node accepts again and
    /// the removal is closed as cancelled, so a returning need re-uses capacity already paid for instead of booting
    /// new instances. Returns how many were taken back.
    /// </summary>
    private async Task<int> TakeBackAsync(PoolView view, int need, int desired, DateTimeOffset now, Counts counts, CancellationToken ct)
    {
        if (AwareModel is not { } billing)
        {
            return 0;
        }

        OperationRecord[] draining;
        lock (_lock)
        {
            draining = _ops.Values.Where(o => o.Kind == OperationKind.Remove && o.Phase == OperationPhase.Draining).ToArray();
        }

        var candidates = draining
            .Select(o => (Op: o, View: view.Find(o.MemberId)))
            .Where(c => c.View is { Member.Node.Status: NodeStatus.Up, Lifecycle: MemberLifecycle.Draining } && !c.View.Member.Protected)
            .OrderByDescending(c => billing.PaidUntil(c.View!.Member.CreatedAt, now))
            .ThenBy(c => c.Op.Id, StringComparer.Ordinal)
            .Take(need)
            .ToList();
        var taken = 0;
        foreach (var (op, mv) in candidates)
        {
            try
            {
                await _pool.UndrainAsync(mv!.Member, ct).ConfigureAwait(false);
                var paid = billing.PaidUntil(mv.Member.CreatedAt, now);
                await CloseAsync(op, OperationOutcome.Cancelled, OperationEventType.Cancelled, mv.Member.Id,
                    $"taken back: need came back (desired {desired}, live {view.Live}); paid until {Clock(paid)}", ct).ConfigureAwait(false);
                taken++;
                counts.TakenBack++;
            }
            catch (Exception ex) when (!IsShutdown(ex, ct))
            {
                counts.Failures++;
                await EmitAsync(op, OperationEventType.Failed, mv!.Member.Id, "take-back: " + Describe(ex), ct).ConfigureAwait(false);
            }
        }

        return taken;
    }

    /// <summary>Keeps a deleted member's life for the month's bill (only when the terms are known).</summary>
    private async Task RecordEndedAsync(PoolMember member, CancellationToken ct)
    {
        if (_ledger is null || _terms is null)
        {
            return;
        }

        var deleted = _time.GetUtcNow();
        var created = member.CreatedAt <= deleted ? member.CreatedAt : deleted;
        await _ledger.RecordAsync(new EndedLifetime(_config.Name, member.Id, created, deleted, _terms), ct).ConfigureAwait(false);
    }

    private static string Clock(DateTimeOffset t) => t.UtcDateTime.ToString(t.Second == 0 ? "HH:mm" : "HH:mm:ss", CultureInfo.InvariantCulture);

    private static string Minutes(TimeSpan d) => d < TimeSpan.FromMinutes(1)
        ? $"{Math.Max(0, (int)Math.Ceiling(d.TotalSeconds)).ToString(CultureInfo.InvariantCulture)} s"
        : $"{((int)Math.Round(d.TotalMinutes)).ToString(CultureInfo.InvariantCulture)} min";
}
