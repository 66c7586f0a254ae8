using System.Text;

namespace Autoscaler.Core.Configuration;

/// <summary>The value of a unit's section (the service's listener, a provider's account, a pool's dashboard queries):
/// it describes itself, so <see cref="AutoscalerConfig.Describe"/> needs to know no unit.</summary>
public interface IConfigSectionValue
{
    /// <summary>Appends the effective settings as YAML-like lines, each starting with <paramref name="indent"/> and ending
    /// with a newline; secrets are never shown.</summary>
    void Describe(StringBuilder text, string indent);
}
