using Autoscaler.Core.Providers.Virtual;

namespace Autoscaler.Simulation;

/// <summary>
/// What the load does to a <see cref="VirtualCloud"/> pool between two engine cycles: the NodeBalancer spreads the
/// load evenly over the members whose node is UP and accepting; each such member is busy min(1, load / (serving ×
/// capacity)) of the time, every other running member idle. Keeps each member's busy-seconds counter (what
/// node_exporter exports) and the samples Prometheus scraped from it. Times are UTC ticks.
/// </summary>
internal sealed class SimulatedPool
{
    private readonly VirtualCloud _cloud;
    private readonly long _bootTicks;
    private readonly long _healthTicks;
    private readonly int _samplesKept;
    private readonly Dictionary<string, Member> _byId = new(StringComparer.Ordinal);
    private readonly List<Member> _members = [];
    private readonly List<Member> _scratch = [];

    public SimulatedPool(VirtualCloud cloud, TimeSpan bootTime, TimeSpan healthCheckDelay, TimeSpan scrapeInterval, TimeSpan rateWindow)
    {
        _cloud = cloud;
        _bootTicks = bootTime.Ticks;
        _healthTicks = healthCheckDelay.Ticks;
        _samplesKept = (int)(rateWindow.Ticks / scrapeInterval.Ticks) + 2;
    }

    /// <summary>Instances that exist (billed), whatever their state.</summary>
    public int Existing => _members.Count;

    /// <summary>Members whose node is UP and accepting, as of the last <see cref="UpdateServing"/>.</summary>
    public int Serving { get; private set; }

    /// <summary>The next time a member's node turns UP, or <see cref="long.MaxValue"/>.</summary>
    public long NextTransition { get; private set; } = long.MaxValue;

    /// <summary>Reads the cloud again after the engine acted (launches, joins, drains, removals).</summary>
    public void Refresh(long now)
    {
        _scratch.Clear();
        foreach (var instance in _cloud.Instances)
        {
            if (!_byId.TryGetValue(instance.Id, out var m))
            {
                m = new Member(_samplesKept) { Running = instance.CreatedAt.UtcTicks + _bootTicks };
                _byId[instance.Id] = m;
            }

            // The virtual cloud's rule: UP a health-check delay after the later of running and joined.
            m.Up = instance.JoinedAt is { } joined && !instance.BootFails && instance.FailedAt is null
                ? Math.Max(joined.UtcTicks, m.Running) + _healthTicks
                : long.MaxValue;
            m.Accept = instance.Mode == Autoscaler.Core.Pools.NodeMode.Accept;
            m.Seen = true;
            _scratch.Add(m);
        }

        // Members gone from the cloud were removed by the engine: forget their counters.
        if (_byId.Count != _scratch.Count)
        {
            foreach (var (id, m) in _byId.ToArray())
            {
                if (!m.Seen)
                {
                    _byId.Remove(id);
                }
            }
        }

        _members.Clear();
        foreach (var m in _scratch)
        {
            m.Seen = false;
            _members.Add(m);
        }

        UpdateServing(now);
    }

    /// <summary>Recomputes who serves at <paramref name="now"/> and when the next member turns UP.</summary>
    public void UpdateServing(long now)
    {
        var serving = 0;
        var next = long.MaxValue;
        foreach (var m in _members)
        {
            m.Serving = m.Accept && m.Up <= now;
            if (m.Serving)
            {
                serving++;
            }
            else if (m.Accept && m.Up > now && m.Up < next)
            {
                next = m.Up;
            }
        }

        Serving = serving;
        NextTransition = next;
    }

    /// <summary>Runs the load for <paramref name="seconds"/> on the current members.</summary>
    public void Advance(double seconds, double load, double capacity)
    {
        if (Serving == 0)
        {
            return;
        }

        var busy = Math.Min(1, load / (Serving * capacity)) * seconds;
        foreach (var m in _members)
        {
            if (m.Serving)
            {
                m.BusySeconds += busy;
            }
        }
    }

    /// <summary>Prometheus scrapes every running member's CPU counter.</summary>
    public void Scrape(long now)
    {
        foreach (var m in _members)
        {
            if (m.Running <= now)
            {
                m.AddSample(now, m.BusySeconds);
            }
        }
    }

    /// <summary>100 × avg over members of rate(busy[window]) at <paramref name="now"/>, like
    /// <c>100 * avg(1 - rate(node_cpu_seconds_total{mode="idle"}[1m]))</c>; null when no member has two samples in the
    /// window.</summary>
    public double? CpuPercent(long now, long window)
    {
        var sum = 0.0;
        var n = 0;
        foreach (var m in _members)
        {
            if (m.Rate(now, window) is { } rate)
            {
                sum += rate;
                n++;
            }
        }

        return n == 0 ? null : 100 * sum / n;
    }

    private sealed class Member(int capacity)
    {
        private readonly long[] _t = new long[capacity];
        private readonly double[] _v = new double[capacity];
        private int _count;
        private int _head;

        public long Running { get; init; }

        public long Up { get; set; }

        public bool Accept { get; set; }

        public bool Serving { get; set; }

        public bool Seen { get; set; }

        public double BusySeconds { get; set; }

        public void AddSample(long t, double value)
        {
            _t[_head] = t;
            _v[_head] = value;
            _head = (_head + 1) % _t.Length;
            _count = Math.Min(_count + 1, _t.Length);
        }

        /// <summary>Increase per second between the first and last samples in (now − window, now].</summary>
        public double? Rate(long now, long window)
        {
            long firstT = 0, lastT = 0;
            double firstV = 0, lastV = 0;
            var found = 0;
            for (var k = 0; k < _count; k++)
            {
                var i = (_head - _count + k + _t.Length) % _t.Length;
                var t = _t[i];
                if (t <= now - window || t > now)
                {
                    continue;
                }

                if (found == 0)
                {
                    firstT = t;
                    firstV = _v[i];
                }

                lastT = t;
                lastV = _v[i];
                found++;
            }

            return found < 2 ? null : Math.Clamp((lastV - firstV) / TimeSpan.FromTicks(lastT - firstT).TotalSeconds, 0, 1);
        }
    }
}
