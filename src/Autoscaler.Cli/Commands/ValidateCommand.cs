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
        var file = ConfigFile.Create();
        var command = new Command("validate", "Check a configuration file: prints \"ok\" with the pool count (exit 0), or every "
            + "error with the file, line, column and the refused value (exit 2; a missing file also exits 2, saying it is missing)");
        file.AddTo(command);
        command.WithExamples(
            "linode-autoscaler validate examples/autoscaler.emulator.yaml",
            "linode-autoscaler validate --config examples/autoscaler.emulator.yaml   # the same, as serve takes it");
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            if (await file.LoadAsync(parse, "validate", error) is not { } config)
            {
                return ExitCodes.Usage;
            }

            await output.WriteLineAsync(Ok(config));
            foreach (var warning in Autoscaler.Linode.Configuration.LinodeConfigWarnings.Of(config))
            {
                await output.WriteLineAsync("warning: " + warning);
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary><c>ok: 1 pool (web)</c>.</summary>
    public static string Ok(AutoscalerConfig config)
    {
        var n = config.Pools.Count;
        return string.Create(CultureInfo.InvariantCulture, $"ok: {n} {(n == 1 ? "pool" : "pools")} ({string.Join(", ", config.Pools.Select(p => p.Name))})");
    }

    /// <summary>The errors of an invalid configuration, one a line, each with the file, its line and column when known.</summary>
    public static string Report(ConfigResult result, string path)
    {
        var sb = new System.Text.StringBuilder();
        var n = result.Errors.Count;
        sb.Append(CultureInfo.InvariantCulture, $"invalid configuration {path}: {n} {(n == 1 ? "error" : "errors")}\n");
        foreach (var e in result.Errors)
        {
            sb.Append("  ");
            // YAML syntax errors carry "line L, column C: " in the message already.
            var message = e.Message;
            if (message.StartsWith("line ", StringComparison.Ordinal) && message.IndexOf(": ", StringComparison.Ordinal) is var colon and > 0)
            {
                message = message[(colon + 2)..];
            }

            sb.Append(e.Line > 0 ? string.Create(CultureInfo.InvariantCulture, $"{path}:{e.Line}:{e.Column}: ") : $"{path}: ");
            sb.Append(message).Append('\n');
        }

        return sb.ToString();
    }
}

/// <summary>
/// The configuration file as <c>serve</c> and <c>validate</c> both take it: <c>FILE</c> or <c>--config FILE</c>. A file
/// that is not there and a file that is invalid are told apart; both are configuration errors (exit 2).
/// </summary>
internal sealed class ConfigFile
{
    private readonly Argument<FileInfo?> _argument = new("file")
    {
        Description = "The autoscaler YAML configuration (see examples/autoscaler.emulator.yaml)",
        HelpName = "FILE",
        Arity = ArgumentArity.ZeroOrOne,
    };

    private readonly Option<FileInfo?> _option = new("--config", "-c")
    {
        Description = "The same file as an option (either form works)",
        HelpName = "FILE",
    };

    public static ConfigFile Create() => new();

    public void AddTo(Command command)
    {
        command.Arguments.Add(_argument);
        command.Options.Add(_option);
    }

    /// <summary>The path given, or null after printing why there is none.</summary>
    public async Task<FileInfo?> PathAsync(ParseResult parse, string name, TextWriter error)
    {
        var a = parse.GetValue(_argument);
        var o = parse.GetValue(_option);
        if (a is not null && o is not null && !string.Equals(a.FullName, o.FullName, StringComparison.Ordinal))
        {
            await error.WriteLineAsync($"{name}: two configuration files given ({a} and --config {o}); give one");
            return null;
        }

        if ((a ?? o) is not { } file)
        {
            await error.WriteLineAsync($"{name}: no configuration file given: {name} <FILE> (or --config <FILE>)");
            return null;
        }

        return file;
    }

    /// <summary>The valid configuration, or null after printing whether the file is missing or which errors it has.</summary>
    public async Task<AutoscalerConfig?> LoadAsync(ParseResult parse, string name, TextWriter error)
    {
        if (await PathAsync(parse, name, error) is not { } file)
        {
            return null;
        }

        if (!file.Exists)
        {
            await error.WriteLineAsync($"{name}: configuration file not found: {Shown(file)}");
            return null;
        }

        var loaded = ServiceSchema.Load(file.FullName);
        if (!loaded.IsValid)
        {
            await error.WriteAsync(ValidateCommand.Report(loaded, Shown(file)));
            return null;
        }

        return loaded.Config;
    }

    /// <summary>The path as the user wrote it when relative to the working folder, else in full.</summary>
    public static string Shown(FileInfo file)
    {
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, file.FullName);
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? file.FullName : relative;
    }
}
