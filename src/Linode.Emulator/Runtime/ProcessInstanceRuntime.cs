using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace Linode.Emulator.Runtime;

/// <summary>The command an image boots. Arguments may use the placeholders <c>{address}</c> (public),
/// <c>{private_address}</c> (the loopback address standing for the private IPv4; empty without one), <c>{vcpus}</c>,
/// <c>{id}</c>, <c>{label}</c>; <c>{workload}</c> in <see cref="Command"/> is the sample Workload's program.</summary>
public sealed record ImageCommand(string Command, IReadOnlyList<string> Args);

/// <summary>
/// Runs each emulated instance as a real OS process bound to its loopback address. Processes are started without a
/// shell; a stop signals the whole process tree (SIGTERM, then SIGKILL after the grace period); the Workload also gets
/// <c>--parent-pid</c> so it exits by itself if this process dies without stopping it.
/// </summary>
public sealed partial class ProcessInstanceRuntime : IInstanceRuntime
{
    /// <summary>The Workload placeholder in <see cref="ImageCommand.Command"/>.</summary>
    public const string WorkloadPlaceholder = "{workload}";

    /// <summary>What boots when neither the image nor <see cref="InstanceRuntimeOptions.DefaultCommand"/> says.</summary>
    public static readonly ImageCommand WorkloadCommand =
        new(WorkloadPlaceholder, ["--address", "{address}", "--vcpus", "{vcpus}"]);

    private const int OutputLinesKept = 20;

    private readonly InstanceRuntimeOptions _options;
    private readonly ILogger<ProcessInstanceRuntime> _logger;
    private readonly ConcurrentDictionary<long, Instance> _instances = new();
    private int _disposed;

    public ProcessInstanceRuntime(InstanceRuntimeOptions options, ILogger<ProcessInstanceRuntime> logger)
    {
        _options = options;
        _logger = logger;
    }

    public event Action<long>? ProcessExited;

    public Task StartAsync(InstanceProcessSpec spec, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        cancellationToken.ThrowIfCancellationRequested();
        if (_instances.TryGetValue(spec.LinodeId, out var existing) && !existing.HasExited)
        {
            throw new InvalidOperationException($"instance {spec.LinodeId} already has a running process");
        }

        var startInfo = BuildStartInfo(spec);
        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        var instance = new Instance(spec.LinodeId, spec.Label, process);
        process.Exited += (_, _) => OnExited(instance);
        process.OutputDataReceived += (_, e) => instance.Output(e.Data, _logger);
        process.ErrorDataReceived += (_, e) => instance.Output(e.Data, _logger);
        _instances[spec.LinodeId] = instance;
        try
        {
            process.Start();
        }
        catch (Exception e) when (e is Win32Exception or InvalidOperationException or PlatformNotSupportedException)
        {
            _instances.TryRemove(new KeyValuePair<long, Instance>(spec.LinodeId, instance));
            process.Dispose();
            throw new InstanceBootException(
                $"instance {spec.LinodeId} ({spec.Label}): cannot start '{startInfo.FileName}' for image " +
                $"'{spec.Image}': {e.Message}", e);
        }

        var pid = -1;
        instance.Started();
        try
        {
            pid = process.Id;
            process.StandardInput.Close();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException && instance.HasExited)
        {
            // A command that exits at once may be reaped, reported and disposed by OnExited before its output is
            // hooked here: there is nothing left to read, and ProcessExited was raised.
        }

        LogStarted(_logger, spec.LinodeId, spec.Label, pid, spec.Address.ToString(), startInfo.FileName);
        return Task.CompletedTask;
    }

    public async Task StopAsync(long linodeId, CancellationToken cancellationToken)
    {
        if (!_instances.TryGetValue(linodeId, out var instance))
        {
            return;
        }

        instance.StopRequested = true;
        try
        {
            await StopTreeAsync(instance, cancellationToken);
        }
        finally
        {
            instance.MarkExited();
            _instances.TryRemove(new KeyValuePair<long, Instance>(linodeId, instance));
            instance.Process.Dispose();
        }

        LogStopped(_logger, linodeId, instance.Label);
    }

    public bool IsRunning(long linodeId) => _instances.TryGetValue(linodeId, out var instance) && !instance.HasExited;

    /// <summary>The OS pid of the instance's process, while it runs.</summary>
    internal int? ProcessIdOf(long linodeId)
    {
        if (!_instances.TryGetValue(linodeId, out var instance) || instance.HasExited)
        {
            return null;
        }

        try
        {
            return instance.Process.Id;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    public bool Kill(long linodeId)
    {
        if (!_instances.TryGetValue(linodeId, out var instance) || instance.HasExited || instance.StopRequested)
        {
            return false;
        }

        try
        {
            // The exit is then reported through ProcessExited like a crash.
            var tree = ProcessTree.Snapshot(instance.Process.Id);
            instance.Process.Kill(entireProcessTree: true);
            ProcessTree.KillAll(tree);
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await Task.WhenAll(_instances.Keys.ToList().Select(id => StopAsync(id, CancellationToken.None)));
    }

    private async Task StopTreeAsync(Instance instance, CancellationToken cancellationToken)
    {
        if (instance.HasExited)
        {
            return;
        }

        var process = instance.Process;
        var tree = ProcessTree.Snapshot(process.Id);
        if (tree.Count > 0)
        {
            ProcessTree.Terminate(tree);
        }
        else
        {
            ProcessTree.Terminate(process);
        }

        // The whole tree gets the grace period: a shell that exits at once must not cut its children's short.
        using (var grace = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            grace.CancelAfter(_options.StopGracePeriod);
            try
            {
                await process.WaitForExitAsync(grace.Token);
                while (tree.Skip(1).Any(ProcessTree.IsAlive))
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(50), grace.Token);
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        KillTree(instance, tree);

        // Bounded: waiting for exit also waits for the output pipes, which a stray grandchild could hold open.
        using (var reaped = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            try
            {
                await process.WaitForExitAsync(reaped.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
    }

    private static void KillTree(Instance instance, IReadOnlyList<ProcessTree.Member> tree)
    {
        try
        {
            if (!instance.Process.HasExited)
            {
                instance.Process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Exited in between.
        }

        ProcessTree.KillAll(tree);
    }

    private void OnExited(Instance instance)
    {
        if (!instance.MarkExited() || instance.StopRequested)
        {
            return;
        }

        _instances.TryRemove(new KeyValuePair<long, Instance>(instance.LinodeId, instance));
        int? code = null;
        try
        {
            code = instance.Process.ExitCode;
        }
        catch (InvalidOperationException)
        {
        }

        LogExitedUnexpectedly(_logger, instance.LinodeId, instance.Label, code, instance.RecentOutput());
        instance.Process.Dispose();
        try
        {
            ProcessExited?.Invoke(instance.LinodeId);
        }
        catch (Exception e)
        {
            // Raised on a pool thread: a throwing subscriber must not take the whole emulator down.
            LogSubscriberFailed(_logger, instance.LinodeId, e);
        }
    }

    private ProcessStartInfo BuildStartInfo(InstanceProcessSpec spec)
    {
        var command = _options.Images.GetValueOrDefault(spec.Image) ?? _options.DefaultCommand ?? WorkloadCommand;
        var isWorkload = string.Equals(command.Command.Trim(), WorkloadPlaceholder, StringComparison.Ordinal);
        WorkloadLocation? workload =
            isWorkload || command.Args.Any(a => a.Contains(WorkloadPlaceholder, StringComparison.Ordinal))
                ? LocateWorkload(spec)
                : null;

        ProcessStartInfo startInfo;
        if (isWorkload)
        {
            startInfo = new ProcessStartInfo(workload!.FileName);
            foreach (var arg in workload.Prefix)
            {
                startInfo.ArgumentList.Add(arg);
            }

            startInfo.WorkingDirectory = Path.GetDirectoryName(workload.Program) ?? string.Empty;
        }
        else
        {
            startInfo = new ProcessStartInfo(Substitute(command.Command, spec, workload?.Program));
        }

        foreach (var arg in command.Args)
        {
            startInfo.ArgumentList.Add(Substitute(arg, spec, workload?.Program));
        }

        // The Workload binds its private address too unless its arguments say otherwise, as a real deploy's app
        // listens where the NodeBalancer connects.
        if (isWorkload && spec.PrivateAddress is { } privateAddress
            && !command.Args.Any(a => a.StartsWith("--private-address", StringComparison.Ordinal)))
        {
            startInfo.ArgumentList.Add("--private-address");
            startInfo.ArgumentList.Add(privateAddress.ToString());
        }

        var ourPid = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        if (isWorkload && !command.Args.Contains("--parent-pid", StringComparer.Ordinal))
        {
            startInfo.ArgumentList.Add("--parent-pid");
            startInfo.ArgumentList.Add(ourPid);
        }

        startInfo.UseShellExecute = false;
        startInfo.RedirectStandardInput = true;
        startInfo.RedirectStandardOutput = true;
        startInfo.RedirectStandardError = true;
        foreach (var (name, value) in spec.Environment)
        {
            startInfo.Environment[name] = value;
        }

        startInfo.Environment["LINODE_ID"] = spec.LinodeId.ToString(CultureInfo.InvariantCulture);
        startInfo.Environment["LINODE_LABEL"] = spec.Label;
        startInfo.Environment["LINODE_IMAGE"] = spec.Image;
        startInfo.Environment["LINODE_IPV4"] = spec.Address.ToString();
        // Where to bind: the public loopback address, and the one standing for the private IPv4 (the NodeBalancer
        // connects there, never to the public one).
        startInfo.Environment["EMULATOR_PUBLIC_ADDRESS"] = spec.Address.ToString();
        if (spec.PrivateAddress is { } bindPrivate)
        {
            startInfo.Environment["EMULATOR_PRIVATE_ADDRESS"] = bindPrivate.ToString();
        }
        startInfo.Environment["LINODE_VCPUS"] = spec.Vcpus.ToString(CultureInfo.InvariantCulture);
        startInfo.Environment["WORKLOAD_PARENT_PID"] = ourPid;
        if (spec.UserData is not null)
        {
            startInfo.Environment["LINODE_USER_DATA"] = spec.UserData;
        }

        if (workload?.DotnetRoot is { } root && !startInfo.Environment.ContainsKey("DOTNET_ROOT"))
        {
            startInfo.Environment["DOTNET_ROOT"] = root;
        }

        return startInfo;
    }

    private static string Substitute(string text, InstanceProcessSpec spec, string? workload)
    {
        var result = text
            .Replace("{private_address}", spec.PrivateAddress?.ToString() ?? "", StringComparison.Ordinal)
            .Replace("{address}", spec.Address.ToString(), StringComparison.Ordinal)
            .Replace("{vcpus}", spec.Vcpus.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{id}", spec.LinodeId.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{label}", spec.Label, StringComparison.Ordinal);
        return workload is null ? result : result.Replace(WorkloadPlaceholder, workload, StringComparison.Ordinal);
    }

    /// <summary>How to run the Workload: a .dll goes through the dotnet host that runs us (same runtime, no
    /// DOTNET_ROOT guessing); an apphost runs directly.</summary>
    private WorkloadLocation LocateWorkload(InstanceProcessSpec spec)
    {
        var candidates = _options.WorkloadPath is { Length: > 0 } configured
            ? [Path.GetFullPath(configured)]
            : new[]
            {
                Path.Combine(AppContext.BaseDirectory, "workload.dll"),
                Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "workload.exe" : "workload"),
            };

        var host = FindDotnetHost();
        foreach (var path in candidates.Where(File.Exists))
        {
            if (path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            {
                if (host is null)
                {
                    continue;
                }

                return new WorkloadLocation(host, [path], path, null);
            }

            return new WorkloadLocation(path, [], path, host is null ? null : Path.GetDirectoryName(host));
        }

        throw new InstanceBootException(
            $"instance {spec.LinodeId} ({spec.Label}): the Workload program was not found " +
            $"(looked for {string.Join(", ", candidates)}{(host is null ? "; no dotnet host found for a .dll" : "")})");
    }

    private static string? FindDotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath))
        {
            return hostPath;
        }

        var exe = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        if (Environment.ProcessPath is { } self && string.Equals(Path.GetFileName(self), exe, StringComparison.Ordinal))
        {
            return self;
        }

        // <root>/shared/Microsoft.NETCore.App/<version>/ → <root>/dotnet
        var runtimeDir = RuntimeEnvironment.GetRuntimeDirectory().TrimEnd(Path.DirectorySeparatorChar);
        var root = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(runtimeDir)));
        if (root is not null && File.Exists(Path.Combine(root, exe)))
        {
            return Path.Combine(root, exe);
        }

        return (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, exe))
            .FirstOrDefault(File.Exists);
    }

    private sealed record WorkloadLocation(string FileName, string[] Prefix, string Program, string? DotnetRoot);

    private sealed class Instance(long linodeId, string label, Process process)
    {
        private readonly Queue<string> _recent = new();
        private int _exited;

        public long LinodeId { get; } = linodeId;

        public string Label { get; } = label;

        public Process Process { get; } = process;

        public volatile bool StopRequested;

        private volatile bool _started;

        public bool HasExited
        {
            get
            {
                if (!_started || Volatile.Read(ref _exited) != 0)
                {
                    return true;
                }

                try
                {
                    return Process.HasExited;
                }
                catch (InvalidOperationException)
                {
                    return true;
                }
            }
        }

        public void Started() => _started = true;

        /// <summary>True the first time only, so the exit is reported once.</summary>
        public bool MarkExited() => Interlocked.Exchange(ref _exited, 1) == 0;

        public void Output(string? line, ILogger logger)
        {
            if (line is null)
            {
                return;
            }

            lock (_recent)
            {
                _recent.Enqueue(line);
                while (_recent.Count > OutputLinesKept)
                {
                    _recent.Dequeue();
                }
            }

            LogOutput(logger, LinodeId, Label, line);
        }

        public string RecentOutput()
        {
            lock (_recent)
            {
                return _recent.Count == 0 ? "(none)" : string.Join(" | ", _recent);
            }
        }
    }
}
