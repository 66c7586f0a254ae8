using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Linode.Emulator.Faults;
using Linode.Emulator.Runtime;
using Microsoft.Extensions.Logging;

namespace Linode.Emulator.State;

/// <summary>
/// Moves instances through their statuses on the clock and drives the process runtime:
/// <code>
///   create ──► provisioning ──(booted)──► booting ──► running ──shutdown──► shutting_down ──► offline
///                   │                        │  ▲        │  ▲                                   │
///                   └──(not booted)──► offline  │        │  └── rebooting ◄──reboot──┘          │
///                                          ▲    └─boot failure / process exit while booting     │
///                                          └── process exit while running  ◄──────boot──────────┘
///   any ──delete──► deleting ──► (gone: 404)
/// </code>
/// The process starts when booting begins and stops at shutdown, reboot and delete. A job (provisioning, boot,
/// shutdown, reboot, delete) in progress makes every other action "Linode busy." except delete, which cancels it.
/// Entry points are called with <see cref="EmulatorState.Gate"/> held; jobs take it themselves and release it around
/// every runtime call.
/// </summary>
internal sealed partial class InstanceLifecycle : IDisposable
{
    private readonly EmulatorState _state;
    private readonly IInstanceRuntime _runtime;
    private readonly EmulatorDelays _delays;
    private readonly FaultState _faults;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<Task, byte> _jobs = new();

    public InstanceLifecycle(EmulatorState state, IInstanceRuntime runtime, EmulatorDelays delays, FaultState faults, ILogger logger)
    {
        _state = state;
        _runtime = runtime;
        _delays = delays.Clone();
        _faults = faults;
        _logger = logger;
        _runtime.ProcessExited += OnProcessExited;
    }

    private DateTimeOffset Now => _state.Now;

    /// <summary>The state the lifecycle drives (the host releases its addresses on shutdown).</summary>
    public EmulatorState State => _state;

    /// <summary>A new instance: provisioning, then booting when asked to (with an image or backup, by default).</summary>
    public void BeginCreate(Instance instance, bool boot)
    {
        var create = _state.AddEvent("linode_create", EventEntity.Of(instance), "scheduled",
            instance.Image is { } image ? new EventEntity(image.Id, image.Label, "image", "/v4/images/" + image.Id) : null);
        // The boot that follows is queued with the create, as on the real API.
        var bootEvent = boot ? _state.AddEvent("linode_boot", EventEntity.Of(instance), "scheduled", InstanceDisks.ConfigEntity(instance)) : null;
        var job = Launch(instance, "create", j => CreateAsync(instance, j, create, bootEvent));
        job.Events.Add(create);
        if (bootEvent is not null)
        {
            job.Events.Add(bootEvent);
        }
    }

    public void BeginBoot(Instance instance, string action)
    {
        instance.Status = "booting";
        var ev = _state.AddEvent(action, EventEntity.Of(instance), "scheduled", InstanceDisks.ConfigEntity(instance));
        Launch(instance, action, job => BootAsync(instance, job, ev, _delays.Booting, stopFirst: false)).Events.Add(ev);
    }

    public void BeginReboot(Instance instance)
    {
        instance.Status = "rebooting";
        var ev = _state.AddEvent("linode_reboot", EventEntity.Of(instance), "scheduled", InstanceDisks.ConfigEntity(instance));
        Launch(instance, "reboot", job => BootAsync(instance, job, ev, _delays.Rebooting, stopFirst: true)).Events.Add(ev);
    }

    public void BeginShutdown(Instance instance)
    {
        instance.Status = "shutting_down";
        var ev = _state.AddEvent("linode_shutdown", EventEntity.Of(instance), "scheduled");
        Launch(instance, "shutdown", job => ShutdownAsync(instance, job, ev)).Events.Add(ev);
    }

    /// <summary>An action with nothing to do (boot a running instance, shut down an offline one): its event
    /// finishes at once.</summary>
    public void NoOp(Instance instance, string action)
    {
        var config = action is "linode_boot" or "linode_reboot" ? InstanceDisks.ConfigEntity(instance) : null;
        var ev = _state.AddEvent(action, EventEntity.Of(instance), "started", config);
        ev.Finish(Now);
    }

    public void BeginDelete(Instance instance)
    {
        var previous = instance.Job;
        if (previous is not null)
        {
            foreach (var e in previous.Events.Where(e => e.Status is "scheduled" or "started"))
            {
                e.Fail(Now, "Cancelled: the Linode was deleted.");
            }
            Cancel(previous);
            instance.Job = null;
        }
        _state.Billing.Ended(instance, Now);
        instance.Status = "deleting";
        instance.Updated = Now;
        var ev = _state.AddEvent("linode_delete", EventEntity.Of(instance), "scheduled");
        Launch(instance, "delete", job => DeleteAsync(instance, job, ev, previous?.Completion)).Events.Add(ev);
    }

    /// <summary>Cancels every job, waits for them, then stops every process that may still run.</summary>
    public async Task StopAllAsync()
    {
        _runtime.ProcessExited -= OnProcessExited;
        await _stopping.CancelAsync();
        try
        {
            await Task.WhenAll(_jobs.Keys.ToList());
        }
        catch (Exception e) when (e is OperationCanceledException or AggregateException)
        {
            // Cancellation is what was asked for.
        }
        List<long> ids;
        lock (_state.Gate)
        {
            ids = [.. _state.Instances.Keys];
        }
        foreach (var id in ids)
        {
            await StopProcessAsync(id);
        }
        Dispose();
    }

    public void Dispose() => _stopping.Dispose();

    private InstanceJob Launch(Instance instance, string kind, Func<InstanceJob, Task> body)
    {
        var job = new InstanceJob(kind, CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token));
        instance.Job = job;
        job.Completion = Task.Run(() => RunAsync(instance, job, body));
        _jobs.TryAdd(job.Completion, 0);
        job.Completion.ContinueWith(t => _jobs.TryRemove(t, out _), CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return job;
    }

    private async Task RunAsync(Instance instance, InstanceJob job, Func<InstanceJob, Task> body)
    {
        try
        {
            await body(job);
        }
        catch (OperationCanceledException) when (job.Cancellation.IsCancellationRequested)
        {
            // Deleted or shutting down: whoever cancelled owns the instance now.
        }
        catch (Exception e)
        {
            LogJobFailed(_logger, e, instance.Id, job.Kind);
            lock (_state.Gate)
            {
                if (instance.Job == job && !instance.Deleted)
                {
                    instance.Status = "offline";
                    foreach (var ev in job.Events.Where(ev => ev.Status is "scheduled" or "started"))
                    {
                        ev.Fail(Now, "Internal error.");
                    }
                }
            }
        }
        finally
        {
            lock (_state.Gate)
            {
                if (instance.Job == job)
                {
                    instance.Job = null;
                }
                job.Done = true;
            }
            job.Cancellation.Dispose();
        }
    }

    private static void Cancel(InstanceJob job)
    {
        // Called under the state lock: CancelAsync runs the job's continuations elsewhere, not inside this lock.
        if (!job.Done)
        {
            _ = job.Cancellation.CancelAsync();
        }
    }

    private static bool IsCurrent(Instance instance, InstanceJob job) => instance.Job == job && !instance.Deleted;

    private Task Delay(TimeSpan delay, CancellationToken cancellationToken) =>
        delay <= TimeSpan.Zero ? Task.CompletedTask : Task.Delay(delay, _state.Time, cancellationToken);

    private async Task CreateAsync(Instance instance, InstanceJob job, EventRecord create, EventRecord? boot)
    {
        var ct = job.Cancellation.Token;
        lock (_state.Gate)
        {
            if (!IsCurrent(instance, job))
            {
                return;
            }
            create.Start(Now, _delays.Provisioning);
        }
        await Delay(_delays.Provisioning, ct);
        lock (_state.Gate)
        {
            if (!IsCurrent(instance, job))
            {
                return;
            }
            create.Finish(Now);
            if (boot is null)
            {
                SetStatus(instance, "offline");
                return;
            }
            SetStatus(instance, "booting");
        }
        await BootAsync(instance, job, boot, _delays.Booting, stopFirst: false);
    }

    /// <summary>Starts the process (after stopping the old one for a reboot), waits the boot time, then settles on
    /// running, or offline with the event failed when the boot failed or the process died meanwhile.</summary>
    private async Task BootAsync(Instance instance, InstanceJob job, EventRecord ev, TimeSpan duration, bool stopFirst)
    {
        var ct = job.Cancellation.Token;
        InstanceProcessSpec? spec;
        lock (_state.Gate)
        {
            if (!IsCurrent(instance, job))
            {
                return;
            }
            ev.Start(Now, duration);
            instance.ExitedWhileBooting = false;
            // An instance without an image boots like a real one without a disk: it reports running, nothing runs.
            spec = instance.Image is null ? null : ProcessSpec(instance);
        }
        if (stopFirst)
        {
            await StopProcessAsync(instance.Id);
            lock (_state.Gate)
            {
                instance.ProcessStarted = false;
                instance.ExitedWhileBooting = false;
            }
        }

        string? failure = null;
        if (_faults.ShouldFailBoot())
        {
            failure = "Boot failed (injected fault).";
        }
        else if (spec is not null)
        {
            try
            {
                lock (_state.Gate)
                {
                    instance.ProcessStarted = true;
                }
                await _runtime.StartAsync(spec, ct);
            }
            catch (InstanceBootException e)
            {
                failure = "Boot failed: " + e.Message;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogJobFailed(_logger, e, instance.Id, job.Kind);
                failure = "Boot failed.";
            }
        }

        await Delay(duration, ct);

        var stop = false;
        lock (_state.Gate)
        {
            if (!IsCurrent(instance, job))
            {
                return;
            }
            if (failure is null && instance.ExitedWhileBooting)
            {
                failure = "Boot failed: the Linode's process exited while booting.";
            }
            if (failure is null)
            {
                ev.Finish(Now);
                SetStatus(instance, "running");
                return;
            }
            ev.Fail(Now, failure);
            SetStatus(instance, "offline");
            stop = instance.ProcessStarted;
            instance.ProcessStarted = false;
        }
        LogBootFailed(_logger, instance.Id, failure);
        if (stop)
        {
            await StopProcessAsync(instance.Id);
        }
    }

    private async Task ShutdownAsync(Instance instance, InstanceJob job, EventRecord ev)
    {
        var ct = job.Cancellation.Token;
        lock (_state.Gate)
        {
            if (!IsCurrent(instance, job))
            {
                return;
            }
            ev.Start(Now, _delays.ShuttingDown);
        }
        await StopProcessAsync(instance.Id);
        lock (_state.Gate)
        {
            instance.ProcessStarted = false;
        }
        await Delay(_delays.ShuttingDown, ct);
        lock (_state.Gate)
        {
            if (!IsCurrent(instance, job))
            {
                return;
            }
            ev.Finish(Now);
            SetStatus(instance, "offline");
        }
    }

    private async Task DeleteAsync(Instance instance, InstanceJob job, EventRecord ev, Task? previous)
    {
        var ct = job.Cancellation.Token;
        lock (_state.Gate)
        {
            ev.Start(Now, _delays.Deleting);
        }
        if (previous is not null)
        {
            // Let a cancelled job finish first: it may have been starting the process this delete must stop.
            try
            {
                await previous;
            }
            catch (Exception e) when (e is OperationCanceledException or InvalidOperationException)
            {
                // Its outcome no longer matters.
            }
        }
        await StopProcessAsync(instance.Id);
        await Delay(_delays.Deleting, ct);
        lock (_state.Gate)
        {
            instance.ProcessStarted = false;
            instance.Deleted = true;
            _state.Instances.Remove(instance.Id);
            _state.ReleaseAddresses(instance);
            ev.Finish(Now);
        }
        LogInstanceStatus(_logger, instance.Id, instance.Label, "deleted");
    }

    private async Task StopProcessAsync(long id)
    {
        try
        {
            await _runtime.StopAsync(id, CancellationToken.None);
        }
        catch (Exception e)
        {
            LogStopFailed(_logger, e, id);
        }
    }

    private void OnProcessExited(long id)
    {
        lock (_state.Gate)
        {
            if (!_state.Instances.TryGetValue(id, out var instance) || instance.Deleted || !instance.ProcessStarted)
            {
                return;
            }
            instance.ProcessStarted = false;
            switch (instance.Status)
            {
                case "booting":
                case "rebooting":
                    instance.ExitedWhileBooting = true;
                    return;
                case "running":
                    // Lassie-like: the platform notices the Linode powered off on its own and records it; the
                    // watchdog's automatic reboot is not emulated, so the instance stays offline for the
                    // autoscaler (or a user) to deal with.
                    SetStatus(instance, "offline");
                    var ev = _state.AddEvent("linode_shutdown", EventEntity.Of(instance), "started", system: true);
                    ev.Finish(Now);
                    ev.Message = "The Linode powered off unexpectedly (its process exited).";
                    break;
            }
        }
        LogProcessExited(_logger, id);
    }

    private void SetStatus(Instance instance, string status)
    {
        instance.Status = status;
        LogInstanceStatus(_logger, instance.Id, instance.Label, status);
    }

    private static InstanceProcessSpec ProcessSpec(Instance instance)
    {
        string? userData = null;
        if (instance.UserData is { } encoded)
        {
            userData = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
        }
        // StackScripts see their UDFs as environment variables, next to LINODE_ID and friends.
        var env = new Dictionary<string, string>(instance.StackScriptData, StringComparer.Ordinal)
        {
            ["LINODE_ID"] = instance.Id.ToString(CultureInfo.InvariantCulture),
            ["LINODE_LABEL"] = instance.Label,
            ["LINODE_REGION"] = instance.Region.Id,
            ["LINODE_TYPE"] = instance.Type.Id,
            ["LINODE_RAM"] = instance.Type.Memory.ToString(CultureInfo.InvariantCulture),
            ["LINODE_PUBLIC_IPV4"] = instance.PublicIpv4.ToString(),
        };
        if (instance.PrivateIpv4 is { } priv)
        {
            env["LINODE_PRIVATE_IPV4"] = priv.ToString();
        }
        return new InstanceProcessSpec(instance.Id, instance.Label, instance.PublicIpv4, instance.Image!.Id,
            instance.Type.Vcpus, userData, env, instance.PrivateLoopback);
    }
}
