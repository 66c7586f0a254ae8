namespace Autoscaler.Core.Tests.Billing;

/// <summary>
/// The oracle's reference: tries every set of lifetimes (creation step, whole periods) on a tiny horizon and keeps the
/// cheapest that serves the demand with never more than max alive. It shares nothing with the flow: no differencing,
/// no chains, just lifetimes and counting.
/// </summary>
internal static class BruteForceCover
{
    /// <summary>Fewest billed periods of any plan, or null when none exists. The demand is taken as given (min folded
    /// in, at most max, zero where nothing can serve yet): see <see cref="Prepare"/>.</summary>
    public static long? Solve(int[] demand, int period, int boot, int max, bool warmStart) =>
        (long?)Cheapest(demand, period, boot, max, warmStart, (_, periods) => periods);

    /// <summary>The least total of <paramref name="price"/>(created step, periods) over the instances of any plan, or
    /// null when none exists. The price must not fall as periods grow (it prunes the search).</summary>
    public static decimal? Cheapest(int[] demand, int period, int boot, int max, bool warmStart, Func<int, int, decimal> price)
    {
        var search = new Search(demand, period, boot, max, warmStart, price);
        search.Run(0, 0);
        return search.Best;
    }

    /// <summary>The demand the oracle promises to serve: min folded in, at most max, nothing before the first
    /// instance can serve when the pool starts cold.</summary>
    public static int[] Prepare(int[] demand, int boot, int min, int max, bool warmStart) =>
        demand.Select((d, t) => !warmStart && t < boot ? 0 : Math.Min(Math.Max(d, min), max)).ToArray();

    /// <summary>Serving and alive counts per step of a set of lifetimes (created, periods), from first principles.</summary>
    public static (int[] Serving, int[] Alive) Replay(IEnumerable<(int Created, int Serving, int Periods)> lives, int steps, int period)
    {
        var serving = new int[steps];
        var alive = new int[steps];
        foreach (var (created, from, periods) in lives)
        {
            for (var t = created; t < Math.Min(steps, created + (periods * period)); t++)
            {
                alive[t]++;
                if (t >= from)
                {
                    serving[t]++;
                }
            }
        }

        return (serving, alive);
    }

    private sealed class Search(int[] demand, int period, int boot, int max, bool warmStart, Func<int, int, decimal> price)
    {
        private readonly List<(int Created, int Serving, int Periods)> _lives = [];

        public decimal? Best { get; private set; }

        private int Steps => demand.Length;

        public void Run(int step, decimal cost)
        {
            if (Best is { } best && cost >= best)
            {
                return;
            }

            // An instance created later than this serves nothing inside the horizon.
            var lastUseful = warmStart ? Math.Max(0, Steps - 1 - boot) : Steps - 1 - boot;
            if (step > lastUseful)
            {
                if (Serves(0, Steps))
                {
                    Best = cost;
                }

                return;
            }

            var serving = warmStart && step == 0 ? 0 : step + boot;
            var longest = 1;
            while (step + (longest * period) < Steps)
            {
                longest++;
            }

            var room = max - AliveAt(step);
            Choose(step, serving, longest, room, 1, cost);
        }

        /// <summary>Adds, at <paramref name="step"/>, any multiset of lengths ≥ <paramref name="from"/> (at most
        /// <paramref name="room"/> more instances), then moves to the next step if what is now settled is served.</summary>
        private void Choose(int step, int serving, int longest, int room, int from, decimal cost)
        {
            // Steps that nothing created later can serve are settled now.
            var settledUntil = Math.Min(Steps, step == 0 ? boot + 1 : step + boot + 1);
            var settledFrom = step == 0 ? 0 : Math.Min(Steps, step + boot);
            if (Serves(settledFrom, settledUntil))
            {
                Run(step + 1, cost);
            }

            if (room == 0)
            {
                return;
            }

            for (var k = from; k <= longest; k++)
            {
                var more = cost + price(step, k);
                if (Best is { } best && more >= best)
                {
                    break;
                }

                _lives.Add((step, serving, k));
                Choose(step, serving, longest, room - 1, k, more);
                _lives.RemoveAt(_lives.Count - 1);
            }
        }

        private bool Serves(int from, int until)
        {
            for (var t = from; t < until; t++)
            {
                var n = 0;
                foreach (var (created, s, periods) in _lives)
                {
                    if (s <= t && t < created + (periods * period))
                    {
                        n++;
                    }
                }

                if (n < demand[t])
                {
                    return false;
                }
            }

            return true;
        }

        private int AliveAt(int t)
        {
            var n = 0;
            foreach (var (created, _, periods) in _lives)
            {
                if (created <= t && t < created + (periods * period))
                {
                    n++;
                }
            }

            return n;
        }
    }
}
