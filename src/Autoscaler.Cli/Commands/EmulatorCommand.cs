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
        };
        var config = new Option<FileInfo?>("--config")
        {
            Description = "Emulator YAML config (delays, tokens, faults, image commands); see examples/emulator.yaml",
        };
        var verbose = new Option<bool>("--verbose") { Description = "Log every request and state change" };

        var command = new Command("emulator", "Run the local Linode API v4 emulator: instances are real processes on "
            + "their own loopback address, NodeBalancers are real load balancers") { listen, config, verbose };

        command.SetAction(async (parse, cancellationToken) =>
        {
            var file = parse.GetValue(config);
            EmulatorOptions options;
            if (file is not null)
            {
                if (!file.Exists)
                {
                    await Console.Error.WriteLineAsync($"emulator: config file '{file.FullName}' does not exist");
                    return 2;
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
                    await Console.Error.WriteLineAsync("emulator: " + error);
                }
                return 2;
            }

            using var loggerFactory = LoggerFactory.Create(b => b
                .AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; })
                .SetMinimumLevel(parse.GetValue(verbose) ? LogLevel.Debug : LogLevel.Information)
                .AddFilter("Microsoft.AspNetCore", LogLevel.Warning)
                .AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning)
                .AddFilter("Yarp", LogLevel.Warning));

            await using var host = await EmulatorHost.StartAsync(
                options, new EmulatorServices { LoggerFactory = loggerFactory }, cancellationToken);
            Console.WriteLine($"Linode API v4 emulator listening on {host.BaseAddress}v4 (Ctrl-C to stop)");
            Console.WriteLine($"  LINODE_URL={host.BaseAddress.ToString().TrimEnd('/')}  (linodego: without /v4)");
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                Console.WriteLine("emulator: stopping every instance and load balancer");
            }
            return 0;
        });
        return command;
    }
}
