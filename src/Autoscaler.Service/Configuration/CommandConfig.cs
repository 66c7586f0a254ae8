using Autoscaler.Core.Configuration;

namespace Autoscaler.Service.Configuration;

/// <summary>
/// A command run for matching Alertmanager notifications, with prometheus-am-executor's keys and meaning (so its YAML
/// <c>commands:</c> list works unchanged) plus a timeout and a dedupe window.
/// </summary>
public sealed record CommandConfig
{
    /// <summary>Default <see cref="Timeout"/>.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(5);

    /// <summary>Default <see cref="DedupeWindow"/>.</summary>
    public static readonly TimeSpan DefaultDedupeWindow = TimeSpan.FromMinutes(5);

    /// <summary>The program (run directly, never through a shell).</summary>
    public string Cmd { get; init; } = "";

    /// <summary>Its arguments.</summary>
    public IReadOnlyList<string> Args { get; init; } = [];

    /// <summary>Every pair must equal the notification's common labels; empty matches every notification.</summary>
    public IReadOnlyDictionary<string, string> MatchLabels { get; init; } = new Dictionary<string, string>();

    /// <summary>Most concurrent runs per alert fingerprint; 0 = unlimited.</summary>
    public int Max { get; init; }

    /// <summary>Default <see cref="MaxConcurrent"/>.</summary>
    public const int DefaultMaxConcurrent = 4;

    /// <summary>Most runs of this command at once, whatever the fingerprints (<see cref="Max"/> counts per fingerprint
    /// and an attacker chooses fingerprints); beyond it a notification is skipped and counted. Default 4.</summary>
    public int MaxConcurrent { get; init; } = DefaultMaxConcurrent;

    /// <summary>Names of the service's environment variables the command also gets. Commands start from an empty
    /// environment: PATH, HOME, LANG, the <c>AMX_*</c> variables and these, never the Linode token or other secrets.</summary>
    public IReadOnlyList<string> PassEnv { get; init; } = [];

    /// <summary>What logs and /metrics call the command (<c>name:</c>); null: its position and program.</summary>
    public string? Label { get; init; }

    /// <summary>Whether a failed run is logged as a warning (am-executor answered 500 instead).</summary>
    public bool NotifyOnFailure { get; init; } = true;

    /// <summary>Resolved notifications neither run the command nor signal running ones.</summary>
    public bool IgnoreResolved { get; init; }

    /// <summary>Signal number sent to the process group of runs still going for a fingerprint that resolves; null = none.</summary>
    public int? ResolvedSignal { get; init; }

    /// <summary>After this the run's process group gets SIGTERM, then SIGKILL.</summary>
    public TimeSpan Timeout { get; init; } = DefaultTimeout;

    /// <summary>The same alerts with the same statuses within this window (Alertmanager replicas) run once.</summary>
    public TimeSpan DedupeWindow { get; init; } = DefaultDedupeWindow;

    /// <summary>Instead of a program: a Jenkins job to trigger and follow to its result.</summary>
    public JenkinsActionConfig? Jenkins { get; init; }

    /// <summary>The command line, <c>cmd arg…</c> (or <c>jenkins JOB</c>); it may carry secrets in its arguments, so it
    /// never reaches /metrics or a log: see <see cref="NameAt"/>.</summary>
    public string Name => Jenkins is { } j ? "jenkins " + j.Job : Args.Count == 0 ? Cmd : Cmd + " " + string.Join(' ', Args);

    /// <summary>How logs and /metrics name the command at <paramref name="index"/> of the list: its <c>name:</c>, else
    /// <c>INDEX:PROGRAM</c> (the file name of <c>cmd</c>) or <c>INDEX:jenkins JOB</c> — never its arguments.</summary>
    public string NameAt(int index) => Label ?? index.ToString(System.Globalization.CultureInfo.InvariantCulture) + ":"
        + (Jenkins is { } j ? "jenkins " + j.Job : System.IO.Path.GetFileName(Cmd));

    /// <summary>Linux signal numbers by name (with or without SIG), for <c>resolved_signal</c>.</summary>
    public static readonly IReadOnlyDictionary<string, int> Signals = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase)
    {
        ["HUP"] = 1, ["INT"] = 2, ["QUIT"] = 3, ["KILL"] = 9, ["USR1"] = 10, ["USR2"] = 12, ["TERM"] = 15,
    };
}

/// <summary>A Jenkins job triggered through its remote access API (<c>buildWithParameters</c>).</summary>
public sealed record JenkinsActionConfig
{
    /// <summary>Jenkins' root URL.</summary>
    public required Uri Url { get; init; }

    /// <summary>The user of the API token.</summary>
    public required string User { get; init; }

    /// <summary>The API token.</summary>
    public required Secret ApiToken { get; init; }

    /// <summary>The job (<c>folder/job</c> inside folders).</summary>
    public required string Job { get; init; }

    /// <summary>Build parameters; <c>$AMX_NAME</c> inside a value is replaced by that variable of the notification.</summary>
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();

    /// <summary>Between queue and build polls. Default 2 s.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);
}
