namespace Autoscaler.Cli.Demo;

/// <summary>A part of the demo did not start; the message names it and what to do.</summary>
public sealed class DemoSetupException : Exception
{
    public DemoSetupException()
    {
    }

    public DemoSetupException(string message)
        : base(message)
    {
    }

    public DemoSetupException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
