namespace Autoscaler.Core.Billing;

/// <summary>
/// The billing oracle's min-cost flow (see <see cref="BillingOracle"/> for why it is exact). Nodes: the step
/// boundaries 0..T of the time line ("main") and one "chain" node per step u in 1..T-1 where paid periods can end.
/// Arcs, all of unbounded capacity:
/// <list type="bullet">
/// <item>surplus: main t+1 → main t, cost 0 (an instance more than the demand at step t);</item>
/// <item>start: main s+boot → chain s+m·P, cost m periods (an instance created at s, serving from s+boot, first m
/// periods: the fewest that let it serve at all);</item>
/// <item>renew: chain u → chain u+P, cost one period;</item>
/// <item>stop: chain u → main u, cost 0 (the instance is deleted as its paid period ends);</item>
/// <item>capped (only with a monthly cap, only where the rest of u's month holds more periods than the cap pays
/// for): chain u → the first boundary past the month's end, cost the cap; likewise a capped start.</item>
/// </list>
/// Chain targets at or past T go to main T. Supplies are the demand's differences. A path main a → … → main e is one
/// instance serving [a, e) (chain nodes are entered only through a start arc) and costs at least its bill. Solved by
/// successive shortest paths with potentials: each round one Dijkstra from every node with excess, then
/// augmentations along the shortest-path forest to every deficit it reached (all on zero-reduced-cost arcs, so
/// reduced-cost optimality holds throughout and the final flow is optimal).
/// </summary>
internal sealed class CoverFlow
{
    private readonly int _steps;
    private readonly int[] _from;
    private readonly int[] _to;
    private readonly long[] _cost;
    private readonly long[] _flow;
    private readonly int[] _periods;
    private readonly int[] _createdAt;
    private readonly int[] _outStart;
    private readonly int[] _outArcs;
    private readonly int[] _inStart;
    private readonly int[] _inArcs;
    private readonly long[] _excess;
    private readonly long[] _potential;

    /// <summary>Builds the network.</summary>
    /// <param name="demand">Serving instances required per step (already within min..max).</param>
    /// <param name="period">Steps per billing period.</param>
    /// <param name="boot">Steps from create to serving.</param>
    /// <param name="warmStart">Instances created at step 0 serve at once.</param>
    /// <param name="prices">What a period and a capped month cost, in integer units.</param>
    public CoverFlow(int[] demand, int period, int boot, bool warmStart, FlowPrices prices)
    {
        _steps = demand.Length;
        var t = _steps;
        var nodes = 2 * t;
        var top = t == 0 ? 0 : demand.Max();
        // Among the cheapest plans, prefer the fewest creations (renewals before fresh instances): every start costs one
        // unit more and money is scaled by more than the creations of any plan that could be cheapest (the largest
        // demand alive throughout bounds the instances of the optimum).
        var scale = 2 + ((long)top * ((t / period) + 2) * prices.Period / Math.Max(1, Math.Min(prices.Period, prices.Cap ?? prices.Period)));
        // A simple path visits each of the 2T nodes once: its cost, and so every distance and potential, stays below this.
        var reach = (scale * Math.Max(prices.Period, prices.Cap ?? 0)) + 1;
        if (reach > long.MaxValue / 8 / (2 * ((long)t + 1)))
        {
            throw new ArgumentException("the prices are too fine-grained (too many decimal places) for the exact oracle", nameof(prices));
        }

        var arcs = new List<(int From, int To, long Cost, int Periods, int Created)>(4 * t);
        for (var step = 0; step < t; step++)
        {
            arcs.Add((step + 1, step, 0, 0, -1));
        }

        // Fewest periods any instance needs to serve anything: its first m periods must outlast the boot.
        var m = (boot / period) + 1;
        for (var s = 0; s < t; s++)
        {
            var warm = warmStart && s == 0;
            var a = warm ? 0 : s + boot;
            var first = warm ? 1 : m;
            if (a >= t)
            {
                break;
            }

            arcs.Add((a, Target(s + ((long)first * period)), (scale * first * prices.Period) + 1, first, s));
            if (CappedPeriods(prices, s, period) is { } capped && capped >= first)
            {
                arcs.Add((a, Target(s + ((long)capped * period)), (scale * prices.Cap!.Value) + 1, capped, s));
            }
        }

        for (var u = 1; u < t; u++)
        {
            arcs.Add((t + u, Target(u + (long)period), scale * prices.Period, 1, -1));
            arcs.Add((t + u, u, 0, 0, -1));
            if (CappedPeriods(prices, u, period) is { } capped)
            {
                arcs.Add((t + u, Target(u + ((long)capped * period)), scale * prices.Cap!.Value, capped, -1));
            }
        }

        _from = arcs.Select(x => x.From).ToArray();
        _to = arcs.Select(x => x.To).ToArray();
        _cost = arcs.Select(x => x.Cost).ToArray();
        _periods = arcs.Select(x => x.Periods).ToArray();
        _createdAt = arcs.Select(x => x.Created).ToArray();
        _flow = new long[arcs.Count];
        (_outStart, _outArcs) = Index(nodes, _from);
        (_inStart, _inArcs) = Index(nodes, _to);
        _excess = new long[nodes];
        _potential = new long[nodes];
        for (var step = 0; step <= t; step++)
        {
            _excess[step] = (step < t ? demand[step] : 0) - (step > 0 ? demand[step - 1] : 0);
        }
    }

    /// <summary>Rounds of Dijkstra the last <see cref="Solve"/> took.</summary>
    public int Rounds { get; private set; }

    /// <summary>Finds the min-cost flow and turns it into lifetimes (the oldest instance renews first).</summary>
    public List<PlannedInstance> Solve()
    {
        var nodes = _excess.Length;
        var dist = new long[nodes];
        var pred = new int[nodes];
        var settled = new int[nodes];
        var heap = new MinHeap(nodes);
        var pending = 0L;
        foreach (var e in _excess)
        {
            pending += Math.Max(0, e);
        }

        while (pending > 0)
        {
            Rounds++;
            var count = ShortestPaths(dist, pred, settled, heap);
            var sent = 0L;
            for (var k = 0; k < count && pending > 0; k++)
            {
                var v = settled[k];
                if (_excess[v] < 0)
                {
                    var amount = Augment(v, pred);
                    sent += amount;
                    pending -= amount;
                }
            }

            if (sent == 0)
            {
                throw new InvalidOperationException("the cover flow found no augmenting path; the network is malformed");
            }
        }

        return Lifetimes();
    }

    private int Target(long time) => time >= _steps ? _steps : (int)(_steps + time);

    /// <summary>Periods from step <paramref name="u"/> to the end of its month (within the horizon), when they cost
    /// more than the cap; null otherwise.</summary>
    private int? CappedPeriods(FlowPrices prices, int u, int period)
    {
        if (prices.Cap is not { } cap || prices.MonthEnd is not { } monthEnd)
        {
            return null;
        }

        var until = Math.Min(monthEnd[u], _steps);
        var periods = (until - u + period - 1) / period;
        return periods * prices.Period > cap ? periods : null;
    }

    private static (int[] Start, int[] Arcs) Index(int nodes, int[] key)
    {
        var start = new int[nodes + 1];
        foreach (var k in key)
        {
            start[k + 1]++;
        }

        for (var v = 0; v < nodes; v++)
        {
            start[v + 1] += start[v];
        }

        var fill = (int[])start.Clone();
        var arcs = new int[key.Length];
        for (var i = 0; i < key.Length; i++)
        {
            arcs[fill[key[i]]++] = i;
        }

        return (start, arcs);
    }

    /// <summary>Dijkstra on reduced costs from every node with excess; updates the potentials so that every arc of the
    /// shortest-path forest has reduced cost 0. Returns how many nodes were settled (in order, in
    /// <paramref name="settled"/>).</summary>
    private int ShortestPaths(long[] dist, int[] pred, int[] settled, MinHeap heap)
    {
        const long Unreached = long.MaxValue;
        Array.Fill(dist, Unreached);
        var done = new bool[dist.Length];
        heap.Clear();
        for (var v = 0; v < dist.Length; v++)
        {
            if (_excess[v] > 0)
            {
                dist[v] = 0;
                pred[v] = int.MinValue;
                heap.Push(0, v);
            }
        }

        var count = 0;
        var last = 0L;
        while (heap.TryPop(out var d, out var u))
        {
            if (done[u] || d != dist[u])
            {
                continue;
            }

            done[u] = true;
            settled[count++] = u;
            last = d;
            var pu = _potential[u];
            for (var k = _outStart[u]; k < _outStart[u + 1]; k++)
            {
                var a = _outArcs[k];
                var v = _to[a];
                var nd = d + _cost[a] + pu - _potential[v];
                if (nd < dist[v])
                {
                    dist[v] = nd;
                    pred[v] = a;
                    heap.Push(nd, v);
                }
            }

            for (var k = _inStart[u]; k < _inStart[u + 1]; k++)
            {
                var a = _inArcs[k];
                if (_flow[a] == 0)
                {
                    continue;
                }

                var v = _from[a];
                var nd = d - _cost[a] + pu - _potential[v];
                if (nd < dist[v])
                {
                    dist[v] = nd;
                    pred[v] = ~a;
                    heap.Push(nd, v);
                }
            }
        }

        // Unreached nodes move by the largest distance settled: every residual arc keeps a non-negative reduced cost.
        for (var v = 0; v < dist.Length; v++)
        {
            _potential[v] += done[v] ? dist[v] : last;
        }

        return count;
    }

    /// <summary>Sends as much as the path from its root allows to deficit <paramref name="sink"/>; returns the amount.</summary>
    private long Augment(int sink, int[] pred)
    {
        var amount = -_excess[sink];
        var v = sink;
        while (pred[v] != int.MinValue)
        {
            var a = pred[v];
            if (a >= 0)
            {
                v = _from[a];
            }
            else
            {
                amount = Math.Min(amount, _flow[~a]);
                v = _to[~a];
            }
        }

        amount = Math.Min(amount, _excess[v]);
        if (amount <= 0)
        {
            return 0;
        }

        _excess[v] -= amount;
        _excess[sink] += amount;
        v = sink;
        while (pred[v] != int.MinValue)
        {
            var a = pred[v];
            if (a >= 0)
            {
                _flow[a] += amount;
                v = _from[a];
            }
            else
            {
                _flow[~a] -= amount;
                v = _to[~a];
            }
        }

        return amount;
    }

    /// <summary>
    /// Decomposes the flow into instances. Which instance continues at a chain node and which stops changes neither
    /// coverage nor the alive count (both depend only on when instances are created and deleted) nor optimality (every
    /// instance's bill is at most the cost of its arcs, and the arcs' total is the optimum); continuing the oldest
    /// makes lives long, which is what a monthly cap rewards.
    /// </summary>
    private List<PlannedInstance> Lifetimes()
    {
        var t = _steps;
        var created = new List<int>();
        var serving = new List<int>();
        var periods = new List<int>();
        var waiting = new List<int>?[t];
        void Arrive(int instance, int node)
        {
            if (node > t)
            {
                (waiting[node - t] ??= []).Add(instance);
            }
        }

        for (var a = 0; a < _flow.Length; a++)
        {
            if (_createdAt[a] < 0)
            {
                continue;
            }

            for (var n = 0L; n < _flow[a]; n++)
            {
                created.Add(_createdAt[a]);
                serving.Add(_from[a]);
                periods.Add(_periods[a]);
                Arrive(created.Count - 1, _to[a]);
            }
        }

        for (var u = 1; u < t; u++)
        {
            var here = waiting[u];
            if (here is null)
            {
                continue;
            }

            waiting[u] = null;
            here.Sort((x, y) => created[x] != created[y] ? created[x].CompareTo(created[y]) : x.CompareTo(y));
            var next = 0;
            for (var k = _outStart[t + u]; k < _outStart[t + u + 1]; k++)
            {
                var a = _outArcs[k];
                if (_periods[a] == 0)
                {
                    continue; // the stop arc takes whoever is left
                }

                for (var n = 0L; n < _flow[a]; n++, next++)
                {
                    if (next >= here.Count)
                    {
                        throw new InvalidOperationException($"flow is not conserved at chain node {u}");
                    }

                    periods[here[next]] += _periods[a];
                    Arrive(here[next], _to[a]);
                }
            }
        }

        var result = new List<PlannedInstance>(created.Count);
        for (var k = 0; k < created.Count; k++)
        {
            result.Add(new PlannedInstance(created[k], serving[k], periods[k]));
        }

        result.Sort((x, y) => x.CreatedStep != y.CreatedStep ? x.CreatedStep.CompareTo(y.CreatedStep) : x.Periods.CompareTo(y.Periods));
        return result;
    }

    /// <summary>A binary min-heap of (distance, node) with lazy deletion.</summary>
    private sealed class MinHeap(int capacity)
    {
        private long[] _keys = new long[Math.Max(16, capacity)];
        private int[] _values = new int[Math.Max(16, capacity)];
        private int _count;

        public void Clear() => _count = 0;

        public void Push(long key, int value)
        {
            if (_count == _keys.Length)
            {
                Array.Resize(ref _keys, _count * 2);
                Array.Resize(ref _values, _count * 2);
            }

            var i = _count++;
            while (i > 0)
            {
                var parent = (i - 1) >> 1;
                if (_keys[parent] <= key)
                {
                    break;
                }

                _keys[i] = _keys[parent];
                _values[i] = _values[parent];
                i = parent;
            }

            _keys[i] = key;
            _values[i] = value;
        }

        public bool TryPop(out long key, out int value)
        {
            if (_count == 0)
            {
                (key, value) = (0, 0);
                return false;
            }

            (key, value) = (_keys[0], _values[0]);
            var lastKey = _keys[--_count];
            var lastValue = _values[_count];
            var i = 0;
            while (true)
            {
                var child = (2 * i) + 1;
                if (child >= _count)
                {
                    break;
                }

                if (child + 1 < _count && _keys[child + 1] < _keys[child])
                {
                    child++;
                }

                if (_keys[child] >= lastKey)
                {
                    break;
                }

                _keys[i] = _keys[child];
                _values[i] = _values[child];
                i = child;
            }

            _keys[i] = lastKey;
            _values[i] = lastValue;
            return true;
        }
    }
}

/// <summary>The flow's prices in integer units (USD scaled and divided by a common factor).</summary>
/// <param name="Period">One billing period.</param>
/// <param name="Cap">The monthly cap; null without one.</param>
/// <param name="MonthEnd">Per step, the first step in the next calendar month; null without a cap.</param>
internal sealed record FlowPrices(long Period, long? Cap = null, int[]? MonthEnd = null)
{
    /// <summary>Every period costs one unit: the flow minimises billed periods.</summary>
    public static readonly FlowPrices Periods = new(1);
}
