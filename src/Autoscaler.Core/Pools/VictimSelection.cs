using Autoscaler.Core.Configuration;

namespace Autoscaler.Core.Pools;

/// <summary>
/// Which members a scale-in takes, in order: unhealthy ones first, then those not serving yet (newest first whatever
/// the policy: the least invested capacity goes first), then serving ones by the pool's <see cref="VictimPolicy"/>.
/// Only live members count; protected members and members another removal already targets are never chosen.
/// </summary>
internal static class VictimSelection
{
    /// <summary>Up to <paramref name="count"/> victims among <paramref name="members"/>, best first.</summary>
    public static List<MemberView> Choose(IEnumerable<MemberView> members, int count, VictimPolicy policy, Func<string, bool> beingRemoved) =>
        members
            .Where(m => m.IsLive && !m.Member.Protected && !beingRemoved(m.Member.Id))
            .OrderBy(Rank)
            .ThenBy(m => m, new VictimOrder(policy))
            .Take(count)
            .ToList();

    private static int Rank(MemberView m) => m.Lifecycle switch
    {
        MemberLifecycle.Unhealthy => 0,
        MemberLifecycle.Serving => 2,
        _ => 1,
    };

    private sealed class VictimOrder(VictimPolicy policy) : IComparer<MemberView>
    {
        public int Compare(MemberView? x, MemberView? y)
        {
            ArgumentNullException.ThrowIfNull(x);
            ArgumentNullException.ThrowIfNull(y);

            // Members not serving yet go newest first whatever the policy: the least invested capacity goes first.
            var newestFirst = policy == VictimPolicy.Newest || x.Lifecycle != MemberLifecycle.Serving;
            var c = x.Member.CreatedAt.CompareTo(y.Member.CreatedAt);
            if (c == 0)
            {
                c = string.CompareOrdinal(x.Member.Id, y.Member.Id);
            }

            return newestFirst ? -c : c;
        }
    }
}
