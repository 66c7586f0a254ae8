using Autoscaler.Core.Configuration;
using Autoscaler.Service.Configuration;
using Autoscaler.Service.Tests.Support;

namespace Autoscaler.Service.Tests.Commands;

public sealed class CommandConfigTests
{
    private static ConfigResult Parse(string commands) => ServiceSchema.Parse($$"""
        linode: { url: "http://127.0.0.1:1/v4", token: t }
        commands: {{commands}}
        pools:
        {{TestConfig.Pool()}}
        """, new Dictionary<string, string>());

    [Fact]
    public void Parse_AmExecutorKeys_AllRead()
    {
        var result = Parse("""[ { cmd: /usr/local/bin/scale, args: [up, "--fast"], match_labels: { pool: web }, max: 2, notify_on_failure: false, ignore_resolved: true, resolved_signal: SIGUSR2, timeout: 30s, dedupe_window: 1m } ]""");

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var c = Assert.Single(result.Config.Commands);
        Assert.Equal("/usr/local/bin/scale", c.Cmd);
        Assert.Equal(["up", "--fast"], c.Args);
        Assert.Equal("web", c.MatchLabels["pool"]);
        Assert.Equal(2, c.Max);
        Assert.False(c.NotifyOnFailure);
        Assert.True(c.IgnoreResolved);
        Assert.Equal(12, c.ResolvedSignal);
        Assert.Equal(TimeSpan.FromSeconds(30), c.Timeout);
        Assert.Equal(TimeSpan.FromMinutes(1), c.DedupeWindow);
        Assert.Equal("/usr/local/bin/scale up --fast", c.Name);
    }

    [Fact]
    public void Parse_OnlyCmd_AmExecutorDefaults()
    {
        var result = Parse("[ { cmd: /bin/true } ]");

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var c = Assert.Single(result.Config.Commands);
        Assert.Empty(c.Args);
        Assert.Empty(c.MatchLabels);
        Assert.Equal(0, c.Max);
        Assert.True(c.NotifyOnFailure);
        Assert.False(c.IgnoreResolved);
        Assert.Null(c.ResolvedSignal);
        Assert.Equal(CommandConfig.DefaultTimeout, c.Timeout);
    }

    [Fact]
    public void Parse_BadEntries_EveryProblemReported()
    {
        var result = Parse("[ { args: [x] }, { cmd: /bin/true, resolved_signal: SIGNOPE, max: -1, timeout: 0s, colour: red } ]");

        Assert.False(result.IsValid);
        var text = string.Join("\n", result.Errors);
        Assert.Contains("commands[0].cmd", text, StringComparison.Ordinal);
        Assert.Contains("commands[1].resolved_signal", text, StringComparison.Ordinal);
        Assert.Contains("commands[1].max", text, StringComparison.Ordinal);
        Assert.Contains("commands[1].timeout", text, StringComparison.Ordinal);
        Assert.Contains("commands[1].colour", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NoCommands_EmptyList()
    {
        var result = ServiceSchema.Parse($$"""
            linode: { url: "http://127.0.0.1:1/v4", token: t }
            pools:
            {{TestConfig.Pool()}}
            """, new Dictionary<string, string>());

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Empty(result.Config.Commands);
    }

    [Fact]
    public void Describe_JenkinsCommand_TokenRedacted()
    {
        var result = Parse("""[ { jenkins: { url: "http://127.0.0.1:8080/", user: bot, api_token: tok-5e6f7a, job: scale }, max: 1 }, { cmd: /bin/echo, args: [hidden-arg] } ]""");

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var text = result.Config.Describe();
        Assert.Contains("job: scale", text, StringComparison.Ordinal);
        Assert.Contains("cmd: /bin/echo", text, StringComparison.Ordinal);
        Assert.DoesNotContain("tok-5e6f7a", text, StringComparison.Ordinal);
        Assert.DoesNotContain("hidden-arg", text, StringComparison.Ordinal);
    }
}
