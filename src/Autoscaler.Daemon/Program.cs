using System.CommandLine;
using Autoscaler.Cli.Commands;

// linode-autoscaler-serve FILE [--verbose] [--am-executor-config FILE]: `linode-autoscaler serve` as its own program.
// A leading "serve" is accepted too, so the daemon is a drop-in for `linode-autoscaler serve ...` (a unit file or a
// harness that ran the CLI changes only the program's path).
var root = new RootCommand(ServeCommand.Description);
ServeCommand.Configure(root);
Cli.WithHelp(root);
return await Cli.RunAsync(root, args is ["serve", .. var rest] ? rest : args, new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(30) });
