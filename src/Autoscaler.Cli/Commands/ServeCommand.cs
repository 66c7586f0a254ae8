using System.CommandLine;
using Autoscaler.Core.Configuration;
using Autoscaler.Core.Providers;
using Autoscaler.Service;
using Autoscaler.Service.Configuration;
using Autoscaler.Service.Logging;
using Microsoft.Extensions.Logging;

namespace Autoscaler.Cli.Commands;

/// <summary><c>linode-autoscaler serve --config FILE</c>: runs the autoscaler service until Ctrl-C or SIGTERM.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var config = new Option<FileInfo>("--config", "-c")
        {
            Description = "Autoscaler YAML configuration (see examples/autoscaler.emulator.yaml)",
            Required = true,
        };
        var verbose = new Option<bool>("--verbose") { Description = "Log every evaluation, including holds" };
        var amExecutor = new Option<FileInfo?>("--am-executor-config")
        {
            Description = "A prometheus-am-executor YAML file whose commands run beside the config's own "
                + "(same AMX_* environment); its listen_address is ignored: the service listens on the config's 'listen'",
        };
        var command = new Command("serve", "Run the autoscaler: Alertmanager webhook (POST /hook), HTTP API, http_sd, /metrics "
            + "and the scaling engine") { config, verbose, amExecutor };

        command.SetAction(async (parse, cancellationToken) =>
        {
            var error = parse.InvocationConfiguration.Error;
            var file = parse.GetValue(config)!;
            var loaded = ServiceSchema.Load(file.FullName);
            if (!loaded.IsValid)
            {
                await error.WriteAsync(ValidateCommand.Report(loaded));
                return 2;
            }

            var effective = loaded.Config;
            if (parse.GetValue(amExecutor) is { } amFile)
            {
                var am = AmExecutorConfig.Load(amFile.FullName);
                if (!am.IsValid)
                {
                    await error.WriteLineAsync($"serve: invalid am-executor configuration '{amFile.FullName}': {am.Errors.Count} error(s)");
                    foreach (var e in am.Errors)
                    {
                        await error.WriteLineAsync("  " + (e.Line > 0 && !e.Message.StartsWith("line ", StringComparison.Ordinal)
                            ? $"line {e.Line}, column {e.Column}: {e.Message}"
                            : e.Message));
                    }

                    return 2;
                }

                effective = effective.WithService(s => s with { Commands = [.. s.Commands, .. am.Config.Commands] });
            }

            using var loggerFactory = LoggerFactory.Create(b => b
                .AddPlainConsole()
                .SetMinimumLevel(parse.GetValue(verbose) ? LogLevel.Debug : LogLevel.Information)
                .AddFilter("Microsoft.AspNetCore", LogLevel.Warning)
                .AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning)
                .AddFilter("Autoscaler.Linode.LinodeClient", parse.GetValue(verbose) ? LogLevel.Debug : LogLevel.Warning));

            AutoscalerHost host;
            try
            {
                host = await AutoscalerHost.StartAsync(effective, new AutoscalerServices { LoggerFactory = loggerFactory }, cancellationToken);
            }
            catch (ProviderSetupException ex)
            {
                foreach (var problem in ex.Errors)
                {
                    await error.WriteLineAsync("serve: " + problem);
                }

                return 1;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return 130;
            }
            catch (Exception ex) when (ex is IOException or ArgumentException or Microsoft.Data.Sqlite.SqliteException or Autoscaler.Linode.LinodeException)
            {
                await error.WriteLineAsync($"serve: cannot start: {ex.Message}");
                return 1;
            }

            await using (host)
            {
                await parse.InvocationConfiguration.Output.WriteLineAsync($"linode-autoscaler serving on {host.BaseAddress} (Ctrl-C to stop)");
                await parse.InvocationConfiguration.Output.WriteLineAsync($"dashboard: {host.BaseAddress}");
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    await parse.InvocationConfiguration.Output.WriteLineAsync("linode-autoscaler: stopping");
                }
            }

            return 0;
        });
        return command;
    }
}
