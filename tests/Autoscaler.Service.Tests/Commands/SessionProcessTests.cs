using System.Diagnostics;
using System.Globalization;
using Autoscaler.Service.Commands;
using Autoscaler.Service.Tests.Support;

namespace Autoscaler.Service.Tests.Commands;

/// <summary>The spawn path of a command run (<see cref="SessionProcess"/> and the one <see cref="ChildWatcher"/> that
/// reaps every run and reads its output) with real processes: exit codes, output, children that keep the pipe,
/// signals to the group, and the children of <see cref="Process"/> left to it.</summary>
public sealed class SessionProcessTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static readonly Dictionary<string, string> Env = new(StringComparer.Ordinal) { ["PATH"] = "/usr/bin:/bin" };

    private static SessionProcess Start(string script, OutputTail tail)
    {
        Assert.True(SessionProcess.TryStart("/bin/sh", ["-c", script], Env, tail, out var process, out var error), "posix_spawn with pidfds on Linux");
        Assert.Null(error);
        return process!;
    }

    [Fact]
    public async Task TryStart_200ConcurrentRuns_EachReapedWithItsOwnExitCode()
    {
        var runs = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(() =>
        {
            var tail = new OutputTail(100);
            return (Code: i % 256, Tail: tail, Process: Start($"echo run{i}; exit {i % 256}", tail));
        })));

        foreach (var (code, tail, process) in runs)
        {
            using (process)
            {
                Assert.Equal(code, await process.Exited.WaitAsync(Patience));
                await process.OutputEnded.WaitAsync(Patience);
                Assert.Equal("run" + code.ToString(CultureInfo.InvariantCulture), tail.Text);
            }
        }
    }

    [Fact]
    public async Task TryStart_EndedBySignal_128PlusTheSignal()
    {
        using var process = Start("kill -TERM $$", new OutputTail(100));

        Assert.Equal(128 + 15, await process.Exited.WaitAsync(Patience));
    }

    [Fact]
    public async Task TryStart_StdoutAndStderr_OneTailEndedBeforeTheExitIsSeen()
    {
        var tail = new OutputTail(100);
        using var process = Start("printf out; printf ' err' >&2; exit 3", tail);

        Assert.Equal(3, await process.Exited.WaitAsync(Patience));
        // The leader was the last writer: the watcher read the end of file before it reported the exit.
        Assert.True(process.OutputEnded.IsCompleted);
        Assert.Equal("out err", tail.Text);
    }

    [Fact]
    public async Task TryStart_MoreOutputThanTheTail_KeepsTheStartAndCountsTheRest()
    {
        var tail = new OutputTail(CommandDispatcher.MaxOutputChars);
        using var process = Start("head -c 200000 /dev/zero | tr '\\0' a", tail);

        Assert.Equal(0, await process.Exited.WaitAsync(Patience));
        await process.OutputEnded.WaitAsync(Patience);
        Assert.Equal(new string('a', CommandDispatcher.MaxOutputChars) + $" … ({200000 - CommandDispatcher.MaxOutputChars} more characters)", tail.Text);
    }

    [Fact]
    public async Task TryStart_RunOutlivesItsOutput_OutputEndsFirstExitCodeStillReported()
    {
        var tail = new OutputTail(100);
        using var process = Start("echo bye; exec >/dev/null 2>&1; sleep 0.5; exit 4", tail);

        await process.OutputEnded.WaitAsync(Patience);
        Assert.Equal("bye", tail.Text);
        Assert.Equal(4, await process.Exited.WaitAsync(Patience));
    }

    [Fact]
    public async Task TryStart_GrandchildHoldsThePipe_ExitSeenAndDisposeStopsReading()
    {
        var tail = new OutputTail(100);
        var process = Start("sleep 300 & echo started", tail);
        try
        {
            Assert.Equal(0, await process.Exited.WaitAsync(Patience));
            await Wait.UntilAsync(() => tail.Text == "started", "the leader's output");
            Assert.False(process.OutputEnded.IsCompleted, "the sleep still holds the pipe");

            process.Dispose();

            await process.OutputEnded.WaitAsync(Patience);
        }
        finally
        {
            ProcessGroup.Signal(process.Pid, ProcessGroup.KillSignal);
            process.Dispose();
        }
    }

    [Fact]
    public async Task TryStart_GroupSignaledAfterTheLeaderExited_GrandchildKilledAndOutputEnds()
    {
        var tail = new OutputTail(100);
        using var process = Start("trap '' TERM; sleep 300 & echo $!", tail);

        Assert.Equal(0, await process.Exited.WaitAsync(Patience));
        await Wait.UntilAsync(() => tail.Text.Length > 0, "the grandchild's pid");
        var grandchild = int.Parse(tail.Text, CultureInfo.InvariantCulture);

        Assert.True(ProcessGroup.Signal(process.Pid, ProcessGroup.KillSignal));

        // Its end closes the pipe's last write end: the output ends without a Dispose.
        await process.OutputEnded.WaitAsync(Patience);
        await Wait.UntilAsync(() => !File.Exists($"/proc/{grandchild}/cmdline") || File.ReadAllText($"/proc/{grandchild}/cmdline").Length == 0,
            "the grandchild to be gone");
    }

    [Fact]
    public async Task Watcher_ProcessChildrenExitingMeanwhile_LeftToProcessWithTheirExitCodes()
    {
        var ours = Enumerable.Range(0, 50).Select(_ => Task.Run(async () =>
        {
            using var p = Start("exit 5", new OutputTail(10));
            return await p.Exited.WaitAsync(Patience);
        })).ToArray();
        var theirs = Enumerable.Range(0, 10).Select(_ => Task.Run(async () =>
        {
            using var p = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "exit 7"]) { UseShellExecute = false })!;
            await p.WaitForExitAsync().WaitAsync(Patience);
            return p.ExitCode;
        })).ToArray();

        Assert.All(await Task.WhenAll(ours), code => Assert.Equal(5, code));
        Assert.All(await Task.WhenAll(theirs), code => Assert.Equal(7, code));
    }

    [Fact]
    public void Start_MissingProgram_NullWithTheReason()
    {
        using var process = CommandProcess.Start("/nonexistent/program", [], Env, new OutputTail(10), out var error);

        Assert.Null(process);
        Assert.False(string.IsNullOrEmpty(error));
    }
}
