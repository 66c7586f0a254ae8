namespace Autoscaler.Core;

/// <summary>Which way a signal or a decision moves a pool.</summary>
public enum ScaleDirection
{
    /// <summary>Keep the current size.</summary>
    Hold,

    /// <summary>Add instances.</summary>
    Up,

    /// <summary>Remove instances.</summary>
    Down,
}
