using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace Autoscaler.Cli.Commands;

/// <summary>The exit codes every command uses, documented in the README and in every <c>--help</c>.</summary>
internal static class ExitCodes
{
    /// <summary>Done as asked.</summary>
    public const int Ok = 0;

    /// <summary>A runtime failure: the service or the Linode API unreachable or refusing, a port taken, a run that did
    /// not show what it should.</summary>
    public const int Failure = 1;

    /// <summary>A usage or configuration error: a bad argument, a missing file, an invalid file. Nothing was started.</summary>
    public const int Usage = 2;

    /// <summary>Ctrl-C or SIGTERM, after cleaning up (the shell's 128 + SIGINT).</summary>
    public const int Interrupted = 130;

    /// <summary>The line every <c>--help</c> ends with.</summary>
    public const string Help = "Exit codes: 0 ok; 1 runtime failure (service or Linode API unreachable or refusing, port taken); "
        + "2 usage or configuration error (bad argument, missing or invalid file); 130 a run cut short by Ctrl-C or SIGTERM "
        + "(serve and emulator run until stopped and then exit 0).";
}

/// <summary>
/// The program's one entry point, shared by <c>Program.cs</c> and the tests: the commands, an Examples section and the
/// exit codes in every <c>--help</c>, and argument errors in words (no .NET type names) with exit code 2.
/// </summary>
internal static partial class Cli
{
    private static readonly ConditionalWeakTable<Command, string[]> Examples = [];

    /// <summary>Every command of the program.</summary>
    public static RootCommand Root(params Command[] commands)
    {
        var root = new RootCommand("linode-autoscaler: autoscale Linode instances behind a NodeBalancer from Prometheus signals");
        foreach (var c in commands)
        {
            root.Subcommands.Add(c);
        }

        root.WithExamples(
            "linode-autoscaler validate examples/autoscaler.emulator.yaml",
            "linode-autoscaler serve examples/autoscaler.emulator.yaml",
            "linode-autoscaler status web",
            "linode-autoscaler <COMMAND> --help");
        return WithHelp(root);
    }

    /// <summary>Makes every <c>--help</c> of <paramref name="root"/> end with the examples and the exit codes (the
    /// daemon's root command is <c>serve</c> itself).</summary>
    public static RootCommand WithHelp(RootCommand root)
    {
        ArgumentNullException.ThrowIfNull(root);
        foreach (var option in root.Options)
        {
            if (option is HelpOption help && help.Action is HelpAction original)
            {
                help.Action = new HelpWithExamples(original);
            }
        }

        return root;
    }

    /// <summary>Records the command lines shown under "Examples:" in <paramref name="command"/>'s help.</summary>
    public static T WithExamples<T>(this T command, params string[] lines)
        where T : Command
    {
        Examples.AddOrUpdate(command, lines);
        return command;
    }

    /// <summary>Parses and runs; argument errors are printed in words and answered with <see cref="ExitCodes.Usage"/>.</summary>
    public static async Task<int> RunAsync(RootCommand root, string[] args, InvocationConfiguration configuration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(configuration);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0 && parse.Action is ParseErrorAction)
        {
            var name = CommandPath(parse.CommandResult);
            foreach (var e in parse.Errors)
            {
                await configuration.Error.WriteLineAsync($"{name}: {Words(e)}");
            }

            await configuration.Error.WriteLineAsync($"See '{name} --help' for usage and examples.");
            return ExitCodes.Usage;
        }

        return await parse.InvokeAsync(configuration, cancellationToken);
    }

    /// <summary>"linode-autoscaler scale".</summary>
    private static string CommandPath(CommandResult? result)
    {
        var names = new List<string>();
        for (SymbolResult? r = result; r is not null; r = r.Parent)
        {
            if (r is CommandResult c)
            {
                names.Add(c.Command is RootCommand ? "linode-autoscaler" : c.Command.Name);
            }
        }

        names.Reverse();
        return names.Count == 0 ? "linode-autoscaler" : string.Join(' ', names);
    }

    /// <summary>A parse error in words: "--to must be a whole number, got 'abc'" instead of a .NET type name.</summary>
    internal static string Words(ParseError error)
    {
        var m = CannotParse().Match(error.Message);
        if (!m.Success)
        {
            return error.Message;
        }

        var name = error.SymbolResult is ArgumentResult { Parent: CommandResult } a
            ? "<" + (a.Argument.HelpName ?? a.Argument.Name).ToUpperInvariant() + ">"
            : m.Groups["name"].Value;
        return $"{name} must be {TypeWords(m.Groups["type"].Value)}, got '{m.Groups["value"].Value}'";
    }

    private static string TypeWords(string type) =>
        type.Contains("Int32", StringComparison.Ordinal) || type.Contains("Int64", StringComparison.Ordinal) ? "a whole number"
        : type.Contains("Double", StringComparison.Ordinal) || type.Contains("Decimal", StringComparison.Ordinal) ? "a number"
        : type.Contains("Boolean", StringComparison.Ordinal) ? "true or false"
        : type.Contains("FileInfo", StringComparison.Ordinal) ? "a file path"
        : type.Contains("DirectoryInfo", StringComparison.Ordinal) ? "a folder path"
        : type.Contains("Uri", StringComparison.Ordinal) ? "a URL"
        : type.Contains("TimeSpan", StringComparison.Ordinal) ? "a duration like 30s or 5m"
        : "a valid value";

    [GeneratedRegex(@"^Cannot parse argument '(?<value>.*)' for (option|command|argument) '(?<name>.*)' as expected type '(?<type>.*)'\.$", RegexOptions.Singleline)]
    private static partial Regex CannotParse();

    /// <summary>The usual help, then the command's examples and the exit codes.</summary>
    private sealed class HelpWithExamples(HelpAction original) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            var code = original.Invoke(parseResult);
            var output = parseResult.InvocationConfiguration.Output;
            if (Examples.TryGetValue(parseResult.CommandResult.Command, out var lines) && lines.Length > 0)
            {
                output.WriteLine("Examples:");
                foreach (var line in lines)
                {
                    output.WriteLine("  " + line);
                }

                output.WriteLine();
            }

            output.WriteLine(ExitCodes.Help);
            return code;
        }
    }
}
