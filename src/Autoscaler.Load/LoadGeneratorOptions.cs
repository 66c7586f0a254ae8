using System.Globalization;
using System.Net;

namespace Autoscaler.Load;

/// <summary>What an open-loop run sends, where, and with which limits. Defaults suit a few hundred requests per
/// second against the local emulator.</summary>
public sealed record LoadGeneratorOptions
{
    /// <summary>URLs requested in turn (path and query included, e.g. <c>http://127.20.0.1:80/?work_ms=50</c>).</summary>
    public required IReadOnlyList<Uri> Targets { get; init; }

    /// <summary>The arrival rate over time.</summary>
    public required LoadProfile Profile { get; init; }

    /// <summary>Spacing of arrivals around the profile's rate. Default Poisson.</summary>
    public ArrivalProcess Arrivals { get; init; } = ArrivalProcess.Poisson;

    /// <summary>Seed of the Poisson arrivals; null picks one (the report says which, so a run can be repeated).</summary>
    public int? Seed { get; init; }

    /// <summary>Each request's own deadline from the moment it is sent (connect, response and body). Default 10 s.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Requests allowed in flight at once; an arrival beyond it is counted as dropped and never waits, so a
    /// slow server cannot slow the schedule down. Default 1000.</summary>
    public int MaxInFlight { get; init; } = 1000;

    /// <summary>Keep-alive HTTP/1.1 connections per target host; default <see cref="MaxInFlight"/>, so requests never
    /// queue inside the client (which would hide the server's own queueing).</summary>
    public int? Connections { get; init; }

    /// <summary>Allow targets outside 127.0.0.0/8. Off by default: load is only ever sent to loopback.</summary>
    public bool AllowRemote { get; init; }

    /// <summary>Send one untimed request to each target before the clock starts (not counted), so the client's own
    /// start-up cost does not show as the target's latency. Default on.</summary>
    public bool Warmup { get; init; } = true;

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Every problem with these options (empty when they are usable).</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Targets is null || Targets.Count == 0)
        {
            errors.Add("at least one target URL is required, e.g. http://127.0.0.1:8080/");
        }
        else
        {
            foreach (var target in Targets)
            {
                if (LoadTargets.Check(target, AllowRemote) is { } problem)
                {
                    errors.Add(problem);
                }
            }
        }

        if (Profile is null)
        {
            errors.Add("a load profile is required");
        }

        if (Timeout <= TimeSpan.Zero)
        {
            errors.Add($"timeout must be greater than 0 (got {DurationText.Format(Timeout)})");
        }

        if (MaxInFlight < 1)
        {
            errors.Add($"max in flight must be at least 1 (got {MaxInFlight.ToString(CultureInfo.InvariantCulture)})");
        }

        if (Connections is < 1)
        {
            errors.Add($"connections must be at least 1 (got {Connections.Value.ToString(CultureInfo.InvariantCulture)})");
        }

        return errors;
    }
}

/// <summary>The loopback guard: which targets load may be sent to.</summary>
public static class LoadTargets
{
    /// <summary>Null when <paramref name="target"/> may receive load; otherwise why not.</summary>
    public static string? Check(Uri? target, bool allowRemote)
    {
        if (target is null || !target.IsAbsoluteUri || (target.Scheme != Uri.UriSchemeHttp && target.Scheme != Uri.UriSchemeHttps))
        {
            return $"target '{target}' is not an http:// or https:// URL like http://127.0.0.1:8080/";
        }

        if (allowRemote)
        {
            return null;
        }

        // "localhost" is allowed because connections are pinned to 127.0.0.0/8 whatever it resolves to.
        if (string.Equals(target.IdnHost, "localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(target.IdnHost, out var address) && IsAllowed(address)))
        {
            return null;
        }

        return $"target '{target}' is not a loopback address in 127.0.0.0/8; load is only sent to loopback "
            + "unless --allow-remote is given";
    }

    /// <summary>True for IPv4 127.0.0.0/8 (also written as an IPv4-mapped IPv6 address).</summary>
    public static bool IsAllowed(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        return address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && address.GetAddressBytes()[0] == 127;
    }
}
