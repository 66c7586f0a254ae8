using System.CommandLine;
using System.Globalization;
using Autoscaler.Core.Configuration;
using Autoscaler.Service.Configuration;

namespace Autoscaler.Cli.Commands;

/// <summary><c>linode-autoscaler validate FILE</c>: checks a configuration file and lists every problem.</summary>
internal static class ValidateCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("file") { Description = "The autoscaler YAML configuration" };
        var command = new Command("validate", "Check a configuration file: prints every error (exit 1) or \"ok\" with the pool count (exit 0)") { file };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var result = ServiceSchema.Load(parse.GetValue(file)!.FullName);
            if (!result.IsValid)
            {
                await error.WriteAsync(Report(result));
                return 1;
            }

            await output.WriteLineAsync(Ok(result.Config));
            foreach (var warning in Autoscaler.Linode.Configuration.LinodeConfigWarnings.Of(result.Config))
            {
                await output.WriteLineAsync("warning: " + warning);
            }

            return 0;
        });
        return command;
    }

    /// <summary><c>ok: 1 pool (web)</c>.</summary>
    public static string Ok(AutoscalerConfig config)
    {
        var n = config.Pools.Count;
        return string.Create(CultureInfo.InvariantCulture, $"ok: {n} {(n == 1 ? "pool" : "pools")} ({string.Join(", ", config.Pools.Select(p => p.Name))})");
    }

    /// <summary>The errors of an invalid configuration, one a line, with their position when known.</summary>
    public static string Report(ConfigResult result)
    {
        var sb = new System.Text.StringBuilder();
        var n = result.Errors.Count;
        sb.Append(CultureInfo.InvariantCulture, $"invalid configuration: {n} {(n == 1 ? "error" : "errors")}\n");
        foreach (var e in result.Errors)
        {
            sb.Append("  ");
            // YAML syntax errors carry their position in the message already.
            if (e.Line > 0 && !e.Message.StartsWith("line ", StringComparison.Ordinal))
            {
                sb.Append(CultureInfo.InvariantCulture, $"line {e.Line}, column {e.Column}: ");
            }

            sb.Append(e.Message).Append('\n');
        }

        return sb.ToString();
    }
}
