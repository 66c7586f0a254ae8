using System.Globalization;
using System.Net;
using Autoscaler.Core.Configuration;
using Autoscaler.Service.Configuration;
using Autoscaler.Service.Tests.Support;

namespace Autoscaler.Service.Tests.Jenkins;

public sealed class JenkinsCommandTests
{
    private static async Task<double> MetricAsync(FakeService s, string series)
    {
        var text = await s.Http.GetStringAsync("metrics");
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Webhook_JenkinsCommand_JobTriggeredWithAlertParametersAndFollowedToSuccess()
    {
        await using var j = await FakeJenkins.StartAsync();
        var command = $$"""commands: [ { jenkins: { url: "{{j.BaseAddress}}", user: {{FakeJenkins.User}}, api_token: {{FakeJenkins.Token}}, job: scale, poll_interval: 50ms, parameters: { POOL: $AMX_LABEL_pool, STATUS: $AMX_STATUS, FP: "fp=$AMX_ALERT_1_FINGERPRINT" } }, match_labels: { pool: web } } ]""";
        await using var s = await FakeService.StartAsync(dir => TestConfig.Build(dir, TestConfig.Pool(max: 6), extraTop: command));

        using var request = new HttpRequestMessage(HttpMethod.Post, "hook") { Content = TestConfig.Json(TestConfig.Fixture("webhook-firing.json")) };
        request.Headers.Authorization = TestConfig.BearerHeader(TestConfig.WebhookToken);
        using var response = await s.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        await Wait.UntilAsync(async () => await MetricAsync(s, "autoscaler_command_runs_total{command=\"0:jenkins scale\",result=\"succeeded\"}") >= 1, "the Jenkins build's success");
        Assert.Equal("web", j.Parameters["POOL"]);
        Assert.Equal("firing", j.Parameters["STATUS"]);
        Assert.Equal("fp=505e845896f2651e", j.Parameters["FP"]);
        Assert.Single(j.Triggered);
    }

    [Fact]
    public void Parse_JenkinsWithCmdAndWithoutToken_BothReported()
    {
        var result = ServiceSchema.Parse($$"""
            linode: { url: "http://127.0.0.1:1/v4", token: t }
            commands: [ { cmd: /bin/true, jenkins: { url: "http://127.0.0.1:8080/", user: u, job: scale } } ]
            pools:
            {{TestConfig.Pool()}}
            """, new Dictionary<string, string>());

        Assert.False(result.IsValid);
        var text = string.Join("\n", result.Errors);
        Assert.Contains("cmd or jenkins, not both", text, StringComparison.Ordinal);
        Assert.Contains("api_token", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_JenkinsOnly_Read()
    {
        var result = ServiceSchema.Parse($$"""
            linode: { url: "http://127.0.0.1:1/v4", token: t }
            commands: [ { jenkins: { url: "http://127.0.0.1:8080/", user: u, api_token: s3cret, job: ops/scale, parameters: { A: b } }, max: 1 } ]
            pools:
            {{TestConfig.Pool()}}
            """, new Dictionary<string, string>());

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var c = Assert.Single(result.Config.Commands);
        Assert.Equal("ops/scale", c.Jenkins!.Job);
        Assert.Equal("s3cret", c.Jenkins.ApiToken.Reveal());
        Assert.Equal("jenkins ops/scale", c.Name);
        Assert.Equal("b", c.Jenkins.Parameters["A"]);
    }
}
