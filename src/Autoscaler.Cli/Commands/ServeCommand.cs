using System.CommandLine;
using Autoscaler.Core.Providers;
using Autoscaler.Linode.Configuration;
using Autoscaler.Service;
using Autoscaler.Service.Configuration;
using Autoscaler.Service.Logging;
using Microsoft.Extensions.Logging;

namespace Autoscaler.Cli.Commands;

/// <summary>
/// <c>linode-autoscaler serve FILE</c>: runs the autoscaler service until Ctrl-C or SIGTERM. The same file is compiled
/// into the native AOT daemon (src/Autoscaler.Daemon, <c>linode-autoscaler-serve FILE</c>), whose root command is this
/// one: same options, configuration checks, log lines and exit codes.
/// </summary>
internal static class ServeCommand
{
    public const string Description = "Run the autoscaler: Alertmanager webhook (POST /hook), HTTP API, http_sd, /metrics "
        + "and the scaling engine, until Ctrl-C or SIGTERM";

    public static Command Create() => Configure(new Command("serve", Description));

    /// <summary>Adds serve's arguments, options, examples and action to <paramref name="command"/>.</summary>
    public static Command Configure(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var config = ConfigFile.Create();
        var verbose = new Option<bool>("--verbose") { Description = "Log every evaluation, including holds" };
        var amExecutor = new Option<FileInfo?>("--am-executor-config")
        {
            Description = "A prometheus-am-executor YAML file whose commands run beside the config's own "
                + "(same AMX_* environment); its listen_address is ignored: the service listens on the config's 'listen'",
            HelpName = "FILE",
        };
        command.Options.Add(verbose);
        command.Options.Add(amExecutor);
        config.AddTo(command);
        command.WithExamples(
            "linode-autoscaler serve examples/autoscaler.emulator.yaml",
            "linode-autoscaler serve --config examples/autoscaler.emulator.yaml --verbose",
            "linode-autoscaler serve autoscaler.yaml --am-executor-config examples/am-executor.yaml");

        command.SetAction(async (parse, cancellationToken) =>
        {
            var error = parse.InvocationConfiguration.Error;
            var output = parse.InvocationConfiguration.Output;
            if (await config.LoadAsync(parse, "serve", error) is not { } effective)
            {
                return ExitCodes.Usage;
            }

            var shown = ConfigFile.Shown((await config.PathAsync(parse, "serve", error))!);
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

                    return ExitCodes.Usage;
                }

                effective = effective.WithService(s => s with { Commands = [.. s.Commands, .. am.Config.Commands] });
            }

            // Before any cloud call (a NodeBalancer may be created at start): a taken port is one line naming the setting.
            if (Preflight.PortTaken(effective.Listen))
            {
                await error.WriteLineAsync($"serve: cannot listen on {effective.Listen}: the address is in use (another serve?); change 'listen' in {shown}");
                return ExitCodes.Failure;
            }

            // A bad TLS file is told before any cloud call, as the host does (it loads them again).
            if (effective.Tls is { } tls)
            {
                try
                {
                    using var _ = Autoscaler.Service.Security.TlsCertificateLoader.Load(tls);
                }
                catch (ArgumentException ex)
                {
                    await error.WriteLineAsync($"serve: cannot start: {ex.Message}");
                    return ExitCodes.Failure;
                }
            }

            if (effective.Linode is { } linode && effective.Pools.Count > 0
                && await Preflight.UnreachableAsync(linode.Url, TimeSpan.FromSeconds(5), cancellationToken) is { } why)
            {
                await error.WriteLineAsync($"serve: cannot reach the Linode API at {linode.Url} ({why}); start it (linode-autoscaler emulator) or change linode.url in {shown}");
                return ExitCodes.Failure;
            }

            using var loggerFactory = LoggerFactory.Create(b => b
                .AddPlainConsole()
                .SetMinimumLevel(parse.GetValue(verbose) ? LogLevel.Debug : LogLevel.Information)
                .AddFilter("Microsoft.AspNetCore", LogLevel.Warning)
                // Kestrel's own "Unable to start" (with its stack trace) is told below in one line.
                .AddFilter("Microsoft.AspNetCore.Server.Kestrel", level => level is >= LogLevel.Warning and < LogLevel.Critical)
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

                return ExitCodes.Failure;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return ExitCodes.Interrupted;
            }
            catch (IOException ex) when (ex.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
            {
                await error.WriteLineAsync($"serve: cannot listen on {effective.Listen}: the address is in use (another serve?); change 'listen' in {shown}");
                return ExitCodes.Failure;
            }
            catch (Exception ex) when (ex is IOException or ArgumentException or Microsoft.Data.Sqlite.SqliteException or Autoscaler.Linode.LinodeException
                or HttpRequestException)
            {
                await error.WriteLineAsync($"serve: cannot start: {ex.Message}");
                return ExitCodes.Failure;
            }

            await using (host)
            {
                var report = RuntimeReport.Interval() is { } every ? RuntimeReport.RunAsync(output, every, cancellationToken) : Task.CompletedTask;
                await output.WriteLineAsync($"linode-autoscaler serving on {host.BaseAddress} (Ctrl-C to stop)");
                await output.WriteLineAsync($"dashboard: {host.BaseAddress}");
                var stop = Task.Delay(Timeout.Infinite, cancellationToken);
                if (await Task.WhenAny(stop, host.Deposed) != stop)
                {
                    // Its engine remembered a lease it no longer holds: a fresh start is a clean standby.
                    await error.WriteLineAsync("serve: this replica lost the leader lease; exiting so its supervisor restarts it as a standby");
                    return ExitCodes.Failure;
                }

                await report;
                await output.WriteLineAsync("linode-autoscaler: stopping");
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
