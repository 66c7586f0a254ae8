using System.Diagnostics.Metrics;
using Autoscaler.Core.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Autoscaler.Core.Providers;

/// <summary>What a provider builds its pools with.</summary>
public sealed class ProviderContext
{
    private readonly List<IDisposable> _owned = [];

    /// <summary>The whole configuration (the provider finds its own top-level section in <see cref="AutoscalerConfig.Sections"/>).</summary>
    public required AutoscalerConfig Config { get; init; }

    /// <summary>The host's clock.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Where the provider logs.</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>Where the provider's clients create their meters (the host exports them), when there is one.</summary>
    public IMeterFactory? MeterFactory { get; init; }

    /// <summary>What the provider made that the host must dispose when it stops (API clients), in creation order.</summary>
    public IReadOnlyList<IDisposable> Owned => _owned;

    /// <summary>Hands <paramref name="disposable"/> to the host, which disposes it (last made, first disposed).</summary>
    public void Own(IDisposable disposable)
    {
        ArgumentNullException.ThrowIfNull(disposable);
        _owned.Add(disposable);
    }
}

/// <summary>Pools could not be set up (a load balancer, region, image or file that is wrong).
/// <see cref="Exception.Message"/> lists every problem, each naming its pool.</summary>
public class ProviderSetupException : Exception
{
    /// <summary>No problem listed.</summary>
    public ProviderSetupException()
        : this([])
    {
    }

    /// <summary>One problem.</summary>
    public ProviderSetupException(string message)
        : this([message])
    {
    }

    /// <summary>One problem with its cause.</summary>
    public ProviderSetupException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [message];
    }

    /// <summary>One exception for every problem found.</summary>
    public ProviderSetupException(IReadOnlyList<string> errors)
        : this("pools cannot be set up:", errors)
    {
    }

    /// <summary>One exception for every problem found; several are listed under <paramref name="heading"/>.</summary>
    protected ProviderSetupException(string heading, IReadOnlyList<string> errors)
        : base(errors is { Count: 1 } ? errors[0] : heading + Environment.NewLine + string.Join(Environment.NewLine, errors ?? []))
    {
        Errors = errors ?? [];
    }

    /// <summary>Every problem, e.g. <c>pool 'web': its load balancer does not exist</c>.</summary>
    public IReadOnlyList<string> Errors { get; }
}
