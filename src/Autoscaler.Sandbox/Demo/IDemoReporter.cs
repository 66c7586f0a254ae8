namespace Autoscaler.Sandbox.Demo;

/// <summary>Where a run tells what it does. Called from the run's loop, one call at a time.</summary>
public interface IDemoReporter
{
    /// <summary>A step of start-up or clean-up.</summary>
    void OnStep(string text);

    /// <summary>Once per second while the load runs and while the pool settles.</summary>
    void OnSample(DemoSample sample);

    /// <summary>An alert, decision or operation, as it happens.</summary>
    void OnEvent(DemoEvent demoEvent);

    /// <summary>A part started listening: the emulator, the NodeBalancer, the autoscaler, Alertmanager, Prometheus
    /// (with its process id) or an instance (app and metrics ports). Lets a caller check afterwards that each one
    /// is gone.</summary>
    void OnPart(string name, Uri endpoint, int? processId);
}
