using System.CommandLine;
using Autoscaler.Cli.Commands;

namespace Autoscaler.Cli.Tests;

/// <summary>The loadgen command run in-process.</summary>
internal static class LoadgenHarness
{
    public static Task<(int ExitCode, string Output, string Error)> LoadgenAsync(params string[] args) =>
        LoadgenAsync(CancellationToken.None, args);

    /// <param name="cancellationToken">Stands for Ctrl-C / SIGTERM, which cancel the action's token.</param>
    public static async Task<(int ExitCode, string Output, string Error)> LoadgenAsync(CancellationToken cancellationToken, params string[] args)
    {
        var root = new RootCommand { LoadgenCommand.Create() };
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await root.Parse(["loadgen", .. args]).InvokeAsync(
            new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = null }, cancellationToken);
        return (exit, output.ToString(), error.ToString());
    }
}
