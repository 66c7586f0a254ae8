using System.CommandLine;
using Autoscaler.Cli.Commands;

var root = Cli.Root(
    EmulatorCommand.Create(),
    EmulatorTourCommand.Create(),
    DemoCommand.Create(),
    ServeCommand.Create(),
    StatusCommand.Create(),
    ScaleCommand.Create(),
    ValidateCommand.Create(),
    LoadgenCommand.Create(),
    SimulateCommand.Create(),
    BenchCommand.Create());

// Ctrl-C and SIGTERM cancel the command's token; commands clean up what they started before exiting.
return await Cli.RunAsync(root, args, new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(30) });
