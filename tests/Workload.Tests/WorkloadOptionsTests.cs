using System.Net;

namespace Workload.Tests;

public class WorkloadOptionsTests
{
    private static readonly Func<string, string?> NoEnvironment = _ => null;

    [Fact]
    public void TryParse_NoArguments_UsesDefaults()
    {
        Assert.True(WorkloadOptions.TryParse([], NoEnvironment, out var options, out var errors));
        Assert.Empty(errors);
        Assert.Equal(IPAddress.Any, options.Address);
        Assert.Equal(8080, options.Port);
        Assert.Equal(9100, options.MetricsPort);
        Assert.Equal(Environment.ProcessorCount, options.Vcpus);
        Assert.Equal(CpuMode.Virtual, options.Mode);
        Assert.Null(options.ParentPid);
    }

    [Fact]
    public void TryParse_FlagsAndEnvironment_FlagWins()
    {
        var env = new Dictionary<string, string>
        {
            ["WORKLOAD_WORK_MS"] = "75",
            ["WORKLOAD_VCPUS"] = "4",
            ["WORKLOAD_MODE"] = "real",
        };

        var ok = WorkloadOptions.TryParse(
            ["--address", "127.0.10.3", "--vcpus=2", "--queue", "5", "--parent-pid", "42"],
            name => env.GetValueOrDefault(name), out var options, out _);

        Assert.True(ok);
        Assert.Equal(IPAddress.Parse("127.0.10.3"), options.Address);
        Assert.Equal(2, options.Vcpus);
        Assert.Equal(75, options.WorkMs);
        Assert.Equal(5, options.Queue);
        Assert.Equal(CpuMode.Real, options.Mode);
        Assert.Equal(42, options.ParentPid);
    }

    [Fact]
    public void TryParse_SeveralBadValues_ReportsEveryError()
    {
        var ok = WorkloadOptions.TryParse(
            ["--address", "nowhere", "--vcpus", "0", "--mode", "turbo", "--port", "9100", "--bogus", "1", "--queue"],
            NoEnvironment, out _, out var errors);

        Assert.False(ok);
        Assert.Contains(errors, e => e.Contains("address 'nowhere'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("vcpus (0)", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("mode 'turbo'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("must differ", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("--bogus", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("'--queue' needs a value", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(null, "127.0.10.3,127.11.0.3")]
    [InlineData("both", "127.0.10.3,127.11.0.3")]
    [InlineData("public", "127.0.10.3")]
    [InlineData("private", "127.11.0.3")]
    public void TryParse_PrivateAddressAndBind_BindsWhatTheConfigSays(string? bind, string expected)
    {
        string[] args = ["--address", "127.0.10.3", "--private-address", "127.11.0.3"];
        var ok = WorkloadOptions.TryParse(bind is null ? args : [.. args, "--bind", bind], NoEnvironment, out var options, out var errors);

        Assert.True(ok, string.Join("; ", errors));
        Assert.Equal(expected, string.Join(",", options.BindAddresses));
    }

    [Fact]
    public void TryParse_BindPrivateWithoutPrivateAddressOrBadBind_Errors()
    {
        Assert.False(WorkloadOptions.TryParse(["--bind", "private"], NoEnvironment, out _, out var errors));
        Assert.Contains(errors, e => e.Contains("needs --private-address", StringComparison.Ordinal));
        Assert.False(WorkloadOptions.TryParse(["--bind", "sideways"], NoEnvironment, out _, out errors));
        Assert.Contains(errors, e => e.Contains("bind 'sideways'", StringComparison.Ordinal));
    }
}
