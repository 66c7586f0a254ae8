using System.CommandLine;
using Autoscaler.Cli.Commands;

// linode-autoscaler-serve FILE [--verbose] [--am-executor-config FILE]: `linode-autoscaler serve` as its own program.
var root = Cli.Root(ServeCommand.Configure(new RootCommand(ServeCommand.Description)));
return await Cli.RunAsync(root, args, new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(30) });
