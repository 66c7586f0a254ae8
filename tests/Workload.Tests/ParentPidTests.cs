using System.Diagnostics;
using System.Text;

namespace Workload.Tests;

public class ParentPidTests
{
    [Fact]
    public async Task Program_ParentExits_WorkloadExits()
    {
        using var parent = Process.Start(new ProcessStartInfo("sleep", "3") { UseShellExecute = false })!;
        var startInfo = new ProcessStartInfo(WorkloadProgram.Host)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in WorkloadProgram.HostArgs)
        {
            startInfo.ArgumentList.Add(arg);
        }

        foreach (var arg in new[] { "--address", "127.0.0.1", "--port", "0", "--metrics-port", "0",
                     "--parent-pid", parent.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            startInfo.ArgumentList.Add(arg);
        }

        using var workload = Process.Start(startInfo)!;
        var output = new StringBuilder();
        workload.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        workload.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        workload.BeginOutputReadLine();
        workload.BeginErrorReadLine();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await workload.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            if (!workload.HasExited)
            {
                workload.Kill(entireProcessTree: true);
            }

            if (!parent.HasExited)
            {
                parent.Kill();
            }
        }

        string log;
        lock (output)
        {
            log = output.ToString();
        }

        Assert.True(parent.HasExited);
        Assert.Equal(0, workload.ExitCode);
        Assert.Contains("workload listening on", log, StringComparison.Ordinal);
        Assert.Contains($"parent process {parent.Id} is gone", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Program_InvalidOptions_ExitsWithEveryError()
    {
        var startInfo = new ProcessStartInfo(WorkloadProgram.Host)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in WorkloadProgram.HostArgs.Concat(["--vcpus", "zero", "--mode", "turbo"]))
        {
            startInfo.ArgumentList.Add(arg);
        }

        using var workload = Process.Start(startInfo)!;
        var stderr = workload.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await workload.WaitForExitAsync(timeout.Token);

        Assert.Equal(2, workload.ExitCode);
        Assert.Contains("vcpus 'zero' is not an integer", await stderr, StringComparison.Ordinal);
        Assert.Contains("mode 'turbo'", await stderr, StringComparison.Ordinal);
    }
}

/// <summary>How to run the built workload.dll that sits beside the tests.</summary>
internal static class WorkloadProgram
{
    private static string Dll => Path.Combine(AppContext.BaseDirectory, "workload.dll");

    /// <summary>The dotnet host that runs these tests (the SDK sets DOTNET_HOST_PATH), else dotnet on PATH.</summary>
    public static string Host => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host
        ? host
        : "dotnet";

    public static string[] HostArgs => ["exec", Dll];
}
