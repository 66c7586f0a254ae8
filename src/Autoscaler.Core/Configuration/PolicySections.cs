namespace Autoscaler.Core.Configuration;

/// <summary>Core's own top-level sections: <c>engine</c> (the evaluation loop) and <c>alerts</c> (how long alert state
/// is believed).</summary>
internal static class PolicySections
{
    public static EngineConfig ReadEngine(MapReader root)
    {
        var m = root.Map("engine");
        if (m is null)
        {
            return new EngineConfig();
        }

        var defaults = new EngineConfig();
        var interval = m.Duration("evaluation_interval");
        if (interval == TimeSpan.Zero)
        {
            m.Error("engine.evaluation_interval must be > 0", m.Raw("evaluation_interval"));
        }

        var dryRun = m.Bool("dry_run");
        m.Done();
        return new EngineConfig { EvaluationInterval = interval ?? defaults.EvaluationInterval, DryRun = dryRun ?? false };
    }

    public static AlertsConfig ReadAlerts(MapReader root)
    {
        var m = root.Map("alerts");
        var defaults = new AlertsConfig();
        if (m is null)
        {
            return defaults;
        }

        var repeat = m.Duration("repeat_interval");
        if (repeat == TimeSpan.Zero)
        {
            m.Error("alerts.repeat_interval must be > 0", m.Raw("repeat_interval"));
        }

        var repeats = m.Int("expire_after_repeats");
        if (repeats is < 1)
        {
            m.Error("alerts.expire_after_repeats must be >= 1", m.Raw("expire_after_repeats"));
        }

        m.Done();
        return new AlertsConfig
        {
            RepeatInterval = repeat ?? defaults.RepeatInterval,
            ExpireAfterRepeats = repeats ?? defaults.ExpireAfterRepeats,
        };
    }
}
