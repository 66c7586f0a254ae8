using System.CommandLine;
using Linode.Emulator;
using Microsoft.Extensions.Logging;

namespace Autoscaler.Cli.Commands;

/// <summary><c>linode-autoscaler emulator</c>: serves the local Linode API v4 until Ctrl-C or SIGTERM.</summary>
internal static class EmulatorCommand
{
    public static Command Create()
    {
        var listen = new Option<string>("--listen")
        {
            Description = "Address and port of the API (loopback only), e.g. 127.0.0.1:8081",
            DefaultValueFactory = _ => "127.0.0.1:8081",
            HelpName = "HOST:PORT",
        };
        var config = new Option<FileInfo?>("--config")
        {
            Description = "Emulator YAML config (delays, tokens, faults, image commands); see examples/emulator.yaml",
            HelpName = "FILE",
        };
        var verbose = new Option<bool>("--verbose") { Description = "Log every request and state change" };

        var command = new Command("emulator", "Run the local Linode API v4 emulator: instances are real processes on "
            + "their own loopback address, NodeBalancers are real load balancers") { listen, config, verbose };
        command.WithExamples(
            "linode-autoscaler emulator",
            "linode-autoscaler emulator --config examples/emulator.yaml",
            "linode-autoscaler emulator --listen 127.0.0.1:8082 --verbose");

        command.SetAction(async (parse, cancellationToken) =>
        {
            var stderr = parse.InvocationConfiguration.Error;
            var stdout = parse.InvocationConfiguration.Output;
            var file = parse.GetValue(config);
            EmulatorOptions options;
            if (file is not null)
            {
                if (!file.Exists)
                {
                    await stderr.WriteLineAsync($"emulator: configuration file not found: {ConfigFile.Shown(file)}");
                    return ExitCodes.Usage;
                }
                options = EmulatorOptions.Load(file.FullName);
            }
            else
            {
                options = new EmulatorOptions();
            }
            // The command line wins over the file for the listen address when given explicitly.
            if (parse.GetResult(listen) is { Implicit: false } || file is null)
            {
                options.Listen = parse.GetValue(listen)!;
            }

            var errors = options.Validate();
            if (errors.Count > 0)
            {
                foreach (var error in errors)
                {
                    await stderr.WriteLineAsync("emulator: " + error);
                }
                return ExitCodes.Usage;
            }

            var setting = parse.GetResult(listen) is { Implicit: false } || file is null ? "--listen" : $"'listen' in {ConfigFile.Shown(file)} or --listen";
            if (Preflight.PortTaken(options.Listen))
            {
                await stderr.WriteLineAsync($"emulator: cannot listen on {options.Listen}: the address is in use (another emulator?); change {setting}");
                return ExitCodes.Failure;
            }

            using var loggerFactory = LoggerFactory.Create(b => b
                .AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; })
                .SetMinimumLevel(parse.GetValue(verbose) ? LogLevel.Debug : LogLevel.Information)
                .AddFilter("Microsoft.AspNetCore", LogLevel.Warning)
                // Kestrel's own "Unable to start" (with its stack trace) is told below in one line.
                .AddFilter("Microsoft.AspNetCore.Server.Kestrel", level => level is >= LogLevel.Warning and < LogLevel.Critical)
                .AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning)
                .AddFilter("Yarp", LogLevel.Warning));

            EmulatorHost started;
            try
            {
                started = await EmulatorHost.StartAsync(options, new EmulatorServices { LoggerFactory = loggerFactory }, cancellationToken);
            }
            catch (IOException ex) when (ex.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
            {
                await stderr.WriteLineAsync($"emulator: cannot listen on {options.Listen}: the address is in use (another emulator?); change {setting}");
                return ExitCodes.Failure;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return ExitCodes.Interrupted;
            }

            await using var host = started;
            stdout.WriteLine($"Linode API v4 emulator listening on {host.BaseAddress}v4 (Ctrl-C to stop)");
            stdout.WriteLine($"  LINODE_URL={host.BaseAddress.ToString().TrimEnd('/')}  (linodego: without /v4)");
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                stdout.WriteLine("emulator: stopping every instance and load balancer");
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
