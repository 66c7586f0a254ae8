using Autoscaler.Linode.Models;

namespace Autoscaler.Sandbox.Tour;

/// <summary>Where the tour tells what it does. Step texts are Spectre.Console markup (<c>[green]…[/]</c>), which the
/// CLI's console renders.</summary>
public interface ITourReporter
{
    /// <summary>The emulator is up; the tour begins.</summary>
    void OnBegin();

    /// <summary>A step, <paramref name="elapsed"/> into the tour.</summary>
    void OnStep(TimeSpan elapsed, string markup);

    /// <summary>The pool's instances as the API lists them.</summary>
    void OnInstances(IReadOnlyList<Instance> instances);

    /// <summary>Which instance answered how many of the requests sent through the NodeBalancer (<c>error</c>: failed).</summary>
    void OnSpread(string title, IReadOnlyDictionary<string, int> spread, IReadOnlyList<Instance> pool);
}
