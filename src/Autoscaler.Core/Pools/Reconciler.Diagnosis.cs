using Microsoft.Extensions.Logging;

namespace Autoscaler.Core.Pools;

public sealed partial class Reconciler
{
    private readonly Dictionary<string, string?> _diagnoses = new(StringComparer.Ordinal);

    /// <summary>Asks the provider why each member whose node is DOWN past its grace does not serve, once per member
    /// (the answer is kept until the member serves again or is gone), logs it, and shows it on the member. A healthy
    /// pool costs nothing; a failed question is asked again after a back-off.</summary>
    private async Task<PoolView> DiagnoseAsync(PoolView view, DateTimeOffset now, CancellationToken ct)
    {
        var present = new HashSet<string>(StringComparer.Ordinal);
        var members = new MemberView[view.Members.Count];
        var changed = false;
        for (var i = 0; i < view.Members.Count; i++)
        {
            var mv = view.Members[i];
            members[i] = mv;
            present.Add(mv.Member.Id);
            if (mv.Lifecycle != MemberLifecycle.Unhealthy || mv.Member.Node is not { Status: NodeStatus.Down } || mv.UnhealthySince is not { } since || since > now)
            {
                _diagnoses.Remove(mv.Member.Id);
                continue;
            }

            if (!_diagnoses.TryGetValue(mv.Member.Id, out var diagnosis))
            {
                var key = "diagnose-" + mv.Member.Id;
                if (!IsDue(key, now))
                {
                    continue;
                }

                try
                {
                    diagnosis = await _pool.DiagnoseAsync(mv.Member, ct).ConfigureAwait(false);
                }
                catch (Exception ex) when (!IsShutdown(ex, ct))
                {
                    Fail(key, now);
                    LogDiagnosisFailed(_config.Name, mv.Member.Label, Describe(ex));
                    continue;
                }

                _diagnoses[mv.Member.Id] = diagnosis;
                if (diagnosis is not null)
                {
                    LogDiagnosis(_config.Name, mv.Member.Label, diagnosis);
                }
            }

            if (diagnosis is not null)
            {
                members[i] = mv with { Diagnosis = diagnosis };
                changed = true;
            }
        }

        foreach (var id in _diagnoses.Keys.Where(id => !present.Contains(id)).ToArray())
        {
            _diagnoses.Remove(id);
        }

        return changed ? view.WithMembers(members) : view;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "pool {Pool}: {Label} does not serve: {Diagnosis}")]
    private partial void LogDiagnosis(string pool, string label, string diagnosis);

    [LoggerMessage(Level = LogLevel.Information, Message = "pool {Pool}: could not tell why {Label} does not serve: {Detail}")]
    private partial void LogDiagnosisFailed(string pool, string label, string detail);
}
