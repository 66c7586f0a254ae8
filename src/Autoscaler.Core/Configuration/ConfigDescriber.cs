using System.Globalization;
using System.Text;
using Autoscaler.Common;

namespace Autoscaler.Core.Configuration;

/// <summary>Renders the effective configuration as YAML-like text: each unit's sections describe themselves, Core adds
/// its policy. Secrets and the values units mark as such are never shown.</summary>
internal static class ConfigDescriber
{
    public static string Describe(AutoscalerConfig c)
    {
        var sb = new StringBuilder();
        foreach (var section in c.Sections.All)
        {
            section.Describe(sb, "");
        }

        sb.Append(CultureInfo.InvariantCulture, $"engine: {{ evaluation_interval: {Durations.Format(c.Engine.EvaluationInterval)}, dry_run: {Bool(c.Engine.DryRun)} }}\n");
        sb.Append(CultureInfo.InvariantCulture, $"alerts: {{ repeat_interval: {Durations.Format(c.Alerts.RepeatInterval)}, expire_after_repeats: {c.Alerts.ExpireAfterRepeats} }}\n");
        sb.Append("pools:\n");
        foreach (var p in c.Pools)
        {
            sb.Append(CultureInfo.InvariantCulture, $"  {p.Name}:\n");
            if (p.Provider is { } provider)
            {
                sb.Append(CultureInfo.InvariantCulture, $"    provider: {provider.Provider}\n");
                provider.Describe(sb, "    ");
            }

            sb.Append(CultureInfo.InvariantCulture, $"    min: {p.Min}\n    max: {p.Max}\n");
            if (p.Desired is { } d)
            {
                sb.Append(CultureInfo.InvariantCulture, $"    desired: {d}\n");
            }

            sb.Append(CultureInfo.InvariantCulture, $"    health: {{ grace: {Durations.Format(p.Health.Grace)}, replace_after: {Durations.Format(p.Health.ReplaceAfter)} }}\n");
            var pct = p.ScaleUp.StepPercent is { } sp ? $", step_percent: {sp.ToString(CultureInfo.InvariantCulture)}" : "";
            sb.Append(CultureInfo.InvariantCulture, $"    scale_up: {{ step: {p.ScaleUp.Step}{pct}, cooldown: {Durations.Format(p.ScaleUp.Cooldown)}, max_in_flight: {p.ScaleUp.MaxInFlight} }}\n");
            sb.Append(CultureInfo.InvariantCulture, $"    scale_down: {{ step: {p.ScaleDown.Step}, cooldown: {Durations.Format(p.ScaleDown.Cooldown)}, drain: {Durations.Format(p.ScaleDown.Drain)}, victim: {(p.ScaleDown.Victim == VictimPolicy.Newest ? "newest" : "oldest")}, billing: {(p.ScaleDown.Billing == BillingMode.Hourly ? "hourly" : "none")}, release_margin: {Durations.Format(p.ScaleDown.ReleaseMargin)} }}\n");
            if (p.Budget is { } budget)
            {
                sb.Append(CultureInfo.InvariantCulture, $"    budget: {{ monthly_usd: {budget.MonthlyUsd} }}\n");
            }

            sb.Append("    signals:\n");
            foreach (var s in p.Signals)
            {
                sb.Append("      - ").Append(s.Describe()).Append('\n');
            }

            foreach (var section in p.Sections.All)
            {
                section.Describe(sb, "    ");
            }
        }

        return sb.ToString();
    }

    private static string Bool(bool b) => b ? "true" : "false";
}
