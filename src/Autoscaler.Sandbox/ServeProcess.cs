using System.Reflection;
using System.Text.RegularExpressions;

namespace Autoscaler.Sandbox;

/// <summary>How to run the <c>linode-autoscaler</c> program: the file to execute and the arguments that come before a
/// subcommand (the .dll when it runs through <c>dotnet</c>).</summary>
public sealed record ServeProgram(string FileName, IReadOnlyList<string> Prefix)
{
    /// <summary>The program running now (the CLI starting its own <c>serve</c>): its apphost, or <c>dotnet</c> and
    /// the entry assembly.</summary>
    public static ServeProgram ThisProcess()
    {
        var process = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find this program's path");
        return Path.GetFileNameWithoutExtension(process) == "dotnet"
            ? new ServeProgram(process, [Assembly.GetEntryAssembly()?.Location ?? throw new InvalidOperationException("no entry assembly")])
            : new ServeProgram(process, []);
    }

    /// <summary><c>dotnet linode-autoscaler.dll</c> from this process's folder (a test project that references the
    /// CLI has it in its output).</summary>
    public static ServeProgram InOutputFolder() => new("dotnet", [Path.Combine(AppContext.BaseDirectory, "linode-autoscaler.dll")]);
}

/// <summary>
/// <c>linode-autoscaler serve --config FILE</c> as a separate OS process (its memory is its own, and it can be killed
/// as a real deployment is), with its output in a log file whose lines carry <see cref="SandboxClock"/> times. Started
/// once it prints the address it serves on. <see cref="KillAsync"/> sends SIGKILL to the serve process itself: no
/// shutdown code of ours runs, exactly as with <c>kill -9</c>; <see cref="StopAsync"/> stops it as Ctrl-C would.
/// </summary>
public sealed partial class ServeProcess : IAsyncDisposable
{
    private readonly ChildProcess _child;
    private readonly TaskCompletionSource<Uri> _listening;

    private ServeProcess(ChildProcess child, TaskCompletionSource<Uri> listening)
    {
        _child = child;
        _listening = listening;
    }

    /// <summary>The autoscaler's own process id.</summary>
    public int Pid => _child.Id;

    /// <summary>The service's address, as it printed it.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    public string LogPath => _child.LogPath;

    public bool HasExited => _child.HasExited;

    /// <summary>Starts serve and waits (by default up to 90 s) until it listens. Throws
    /// <see cref="SandboxSetupException"/> with the end of its log when it exits or does not listen in time.</summary>
    public static async Task<ServeProcess> StartAsync(ServeProgram program, string configPath, string logPath, TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(program);
        var main = program.Prefix.Count > 0 ? program.Prefix[0] : program.FileName;
        if (program.Prefix.Count > 0 && !File.Exists(main))
        {
            throw new SandboxSetupException($"{main} is missing: the project that runs serve must reference the CLI (it copies the program)");
        }

        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var child = ChildProcess.Start("serve", program.FileName, [.. program.Prefix, "serve", "--config", configPath],
            Path.GetDirectoryName(Path.GetFullPath(configPath))!, logPath, new ChildProcessOptions
            {
                Environment = new Dictionary<string, string>(StringComparer.Ordinal) { ["DOTNET_NOLOGO"] = "1", ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1" },
                StampLines = true,
                OnOutputLine = line =>
                {
                    if (ServingLine().Match(line) is { Success: true } m)
                    {
                        listening.TrySetResult(new Uri(m.Groups[1].Value));
                    }
                },
            });
        var serve = new ServeProcess(child, listening);
        try
        {
            var limit = timeout ?? TimeSpan.FromSeconds(90);
            var first = await Task.WhenAny(listening.Task, child.Exited, Task.Delay(limit, cancellationToken));
            cancellationToken.ThrowIfCancellationRequested();
            if (first != listening.Task)
            {
                throw new SandboxSetupException(
                    $"serve did not start listening within {limit.TotalSeconds:0} s (exited: {child.HasExited}); the end of its log:{Environment.NewLine}{child.Tail(40)}");
            }

            serve.BaseAddress = await listening.Task;
            return serve;
        }
        catch
        {
            await serve.DisposeAsync();
            throw;
        }
    }

    /// <summary>SIGKILL to the autoscaler, then waits until it is gone and its last lines are logged.</summary>
    public Task KillAsync() => _child.KillAsync();

    /// <summary>SIGKILL without waiting, from a callback that must not wait (a proxy's request path).</summary>
    public void KillNow() => _child.Kill();

    /// <summary>SIGTERM (the service shuts down as on Ctrl-C), then SIGKILL after <paramref name="grace"/>.</summary>
    public Task StopAsync(TimeSpan grace) => _child.StopAsync(grace);

    /// <summary>The last <paramref name="lines"/> of its log.</summary>
    public string Tail(int lines = 15) => _child.Tail(lines);

    public async ValueTask DisposeAsync()
    {
        _listening.TrySetCanceled();
        await _child.DisposeAsync();
    }

    [GeneratedRegex(@"linode-autoscaler serving on (\S+)")]
    private static partial Regex ServingLine();
}
