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
/// <item>stop: chain u → main u, cost 0 (the instance is deleted as its paid period ends).</item>
/// </list>
/// Chain targets at or past T go to main T. Supplies are the demand's differences. A path main a → … → main e costs
/// exactly the periods of one instance serving [a, e), and every such path is one: chain nodes are entered only by a
/// start arc. Solved by successive shortest paths with potentials: each round one Dijkstra from every node with excess,
/// then augmentations along the shortest-path forest to every deficit it reached (all on zero-reduced-cost arcs, so
/// reduced-cost optimality holds throughout and the final flow is optimal).
/// </summary>
internal sealed class CoverFlow
{
    private readonly int _steps;
    private readonly int _period;
    private readonly int[] _from;
    private readonly int[] _to;
    private readonly long[] _cost;
    private readonly long[] _flow;
    private readonly int[] _outStart;
    private readonly int[] _outArcs;
    private readonly int[] _inStart;
    private readonly int[] _inArcs;
    private readonly long[] _excess;
    private readonly long[] _potential;
    private readonly int _startBase;
    private readonly int _renewBase;
    private readonly int _stopBase;
    private readonly int[] _startStep;
    private readonly int[] _startPeriods;

    /// <summary>Builds the network.</summary>
    /// <param name="demand">Serving instances required per step (already within min..max).</param>
    /// <param name="period">Steps per billing period.</param>
    /// <param name="boot">Steps from create to serving.</param>
    /// <param name="warmStart">Instances created at step 0 serve at once.</param>
    /// <param name="periodWeight">Cost of a period starting at step u (≥ 1), or null for 1 each.</param>
    /// <param name="tieBreak">Added to every period's cost scale so that, among the cheapest plans, the flow picks one with
    /// the fewest creations: each start arc costs 1 more, each period <paramref name="tieBreak"/> times its weight.</param>
    public CoverFlow(int[] demand, int period, int boot, bool warmStart, int[]? periodWeight, long tieBreak)
    {
        _steps = demand.Length;
        _period = period;
        var t = _steps;
        var nodes = 2 * t;
        long Weight(int u) => periodWeight is null ? 1 : periodWeight[u];

        // Fewest periods any instance needs to serve anything: its first m periods must outlast the boot.
        var m = (boot / period) + 1;
        var starts = new List<(int From, int Target, long Cost, int Step, int Periods)>();
        for (var s = 0; s < t; s++)
        {
            var warm = warmStart && s == 0;
            var a = warm ? 0 : s + boot;
            var mm = warm ? 1 : m;
            if (a >= t)
            {
                break;
            }

            long cost = 1;
            for (var j = 0; j < mm; j++)
            {
                cost += tieBreak * Weight(s + (j * period));
            }

            starts.Add((a, Target(s + ((long)mm * period)), cost, s, mm));
        }

        var chains = Math.Max(0, t - 1);
        var arcs = t + starts.Count + (2 * chains);
        _from = new int[arcs];
        _to = new int[arcs];
        _cost = new long[arcs];
        _flow = new long[arcs];
        var i = 0;
        for (var step = 0; step < t; step++, i++)
        {
            (_from[i], _to[i]) = (step + 1, step);
        }

        _startBase = i;
        _startStep = new int[starts.Count];
        _startPeriods = new int[starts.Count];
        for (var k = 0; k < starts.Count; k++, i++)
        {
            (_from[i], _to[i], _cost[i]) = (starts[k].From, starts[k].Target, starts[k].Cost);
            (_startStep[k], _startPeriods[k]) = (starts[k].Step, starts[k].Periods);
        }

        _renewBase = i;
        for (var u = 1; u < t; u++, i++)
        {
            (_from[i], _to[i], _cost[i]) = (t + u, Target(u + (long)period), tieBreak * Weight(u));
        }

        _stopBase = i;
        for (var u = 1; u < t; u++, i++)
        {
            (_from[i], _to[i]) = (t + u, u);
        }

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

    /// <summary>Decomposes the flow into instances. Which instance renews at a chain node and which stops changes
    /// neither cost nor coverage (both depend only on the multisets of creations and deletions); renewing the oldest
    /// makes lives long, which is what a monthly cap rewards.</summary>
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

        for (var k = 0; k < _startStep.Length; k++)
        {
            var a = _startBase + k;
            for (var n = 0L; n < _flow[a]; n++)
            {
                created.Add(_startStep[k]);
                serving.Add(_from[a]);
                periods.Add(_startPeriods[k]);
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
            var renew = _flow[_renewBase + u - 1];
            if (renew + _flow[_stopBase + u - 1] != here.Count)
            {
                throw new InvalidOperationException($"flow is not conserved at chain node {u}");
            }

            for (var k = 0; k < renew; k++)
            {
                periods[here[k]]++;
                Arrive(here[k], _to[_renewBase + u - 1]);
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
