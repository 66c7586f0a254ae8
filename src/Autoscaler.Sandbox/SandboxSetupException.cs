namespace Autoscaler.Sandbox;

/// <summary>A part of the sandbox did not start; the message names it and what to do.</summary>
public sealed class SandboxSetupException : Exception
{
    public SandboxSetupException()
    {
    }

    public SandboxSetupException(string message)
        : base(message)
    {
    }

    public SandboxSetupException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
