using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Linode.Emulator.Tests.Contract;

/// <summary>
/// Drives every operation we emulate once (successes and errors) through a recording handler, then checks each
/// recorded response against the official spec's schema for its operation and status.
/// </summary>
public sealed class ContractTests : IClassFixture<ContractTests.Recording>
{
    private readonly Recording _recording;

    public ContractTests(Recording recording) => _recording = recording;

    public static TheoryData<string> Operations()
    {
        var data = new TheoryData<string>();
        foreach (var key in OpenApiContract.Instance.OperationKeys)
        {
            data.Add(key);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Operations))]
    public void Response_EveryRecordedSuccessOfOperation_MatchesSpecSchema(string operation)
    {
        var responses = _recording.Responses.Where(r => r.Operation == operation && r.Status is >= 200 and < 300).ToList();
        Assert.True(responses.Count > 0, $"the scenario never called {operation} successfully");
        var violations = responses.SelectMany(r => OpenApiContract.Instance.Validate(operation, r.Status, r.Body)).ToList();
        Assert.True(violations.Count == 0, string.Join("\n", violations.Distinct().Take(30)));
    }

    [Fact]
    public void Response_EveryRecordedError_MatchesSpecErrorSchema()
    {
        var errors = _recording.Responses.Where(r => r.Status >= 400).ToList();
        Assert.True(errors.Count >= 8, $"the scenario recorded only {errors.Count} error responses");
        var violations = errors.SelectMany(r => OpenApiContract.Instance.Validate(r.Operation, r.Status, r.Body)).ToList();
        Assert.True(violations.Count == 0, string.Join("\n", violations.Distinct().Take(30)));
        Assert.Contains(errors, e => e.Status == 401);
        Assert.Contains(errors, e => e.Status == 404);
        Assert.Contains(errors, e => e.Status == 400 && e.Body.Contains("\"field\"", StringComparison.Ordinal));
    }

    [Fact]
    public void Request_EveryRecordedCall_MatchesAnOperationOfTheSpec()
    {
        Assert.Empty(_recording.Unmatched);
    }

    [Fact]
    public void Validate_ResponseMissingADocumentedField_Fails()
    {
        var linode = _recording.Responses.First(r => r.Operation == "GET /linode/instances/{linodeId}" && r.Status == 200);
        var node = JsonNode.Parse(linode.Body)!.AsObject();
        Assert.Empty(OpenApiContract.Instance.Validate(linode.Operation, 200, node.ToJsonString()));

        node.Remove("host_uuid");
        var violations = OpenApiContract.Instance.Validate(linode.Operation, 200, node.ToJsonString());
        Assert.Contains(violations, v => v.Contains("host_uuid", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_ResponseWithMistypedFieldOrZonedTimestamp_Fails()
    {
        var linode = _recording.Responses.First(r => r.Operation == "GET /linode/instances/{linodeId}" && r.Status == 200);

        var mistyped = JsonNode.Parse(linode.Body)!.AsObject();
        mistyped["specs"]!["vcpus"] = "two";
        Assert.NotEmpty(OpenApiContract.Instance.Validate(linode.Operation, 200, mistyped.ToJsonString()));

        var zoned = JsonNode.Parse(linode.Body)!.AsObject();
        zoned["created"] = "2024-01-01T00:00:00Z";
        Assert.Contains(
            OpenApiContract.Instance.Validate(linode.Operation, 200, zoned.ToJsonString()),
            v => v.Contains("timestamp", StringComparison.Ordinal));

        var leaked = JsonNode.Parse(linode.Body)!.AsObject();
        leaked["root_pass"] = "should-never-come-back";
        Assert.NotEmpty(OpenApiContract.Instance.Validate(linode.Operation, 200, leaked.ToJsonString()));
    }

    /// <summary>Runs the scenario once per test class and keeps every response.</summary>
    public sealed class Recording : IAsyncLifetime
    {
        private EmulatorHost _host = null!;

        public ConcurrentBag<RecordedResponse> Responses { get; } = [];

        public ConcurrentBag<string> Unmatched { get; } = [];

        public async Task InitializeAsync()
        {
            _host = await EmulatorHost.StartAsync(new EmulatorOptions { Listen = "127.0.0.1:0" });
            using var api = new HttpClient(new RecordingHandler(this)) { BaseAddress = new Uri(_host.BaseAddress, "v4/") };
            api.DefaultRequestHeaders.Authorization = new("Bearer", "contract-token");
            await new ContractScenario(api).RunAsync();
        }

        public async Task DisposeAsync() => await _host.DisposeAsync();

        private sealed class RecordingHandler(Recording recording) : DelegatingHandler(new SocketsHttpHandler { UseProxy = false })
        {
            protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            {
                var response = await base.SendAsync(request, cancellationToken);
                var body = await response.Content.ReadAsStringAsync(cancellationToken);
                var path = request.RequestUri!.AbsolutePath;
                var operation = OpenApiContract.Instance.Match(request.Method.Method, path);
                if (operation is null)
                {
                    recording.Unmatched.Add($"{request.Method} {path}");
                }
                else
                {
                    recording.Responses.Add(new RecordedResponse(operation, (int)response.StatusCode, body));
                }
                // Hand the body back to the caller, which reads it again.
                var copy = new HttpResponseMessage(response.StatusCode)
                {
                    Content = new StringContent(body, Encoding.UTF8, "application/json"),
                    RequestMessage = request,
                };
                foreach (var header in response.Headers)
                {
                    copy.Headers.TryAddWithoutValidation(header.Key, header.Value);
                }
                response.Dispose();
                return copy;
            }
        }
    }

    public sealed record RecordedResponse(string Operation, int Status, string Body);
}

/// <summary>One pass over every operation, with the error cases a client meets.</summary>
internal sealed class ContractScenario(HttpClient api)
{
    public async Task RunAsync()
    {
        await Call(HttpMethod.Get, "regions");
        await Call(HttpMethod.Get, "regions/us-east");
        await Call(HttpMethod.Get, "regions/nowhere-1", expect: HttpStatusCode.NotFound);
        await Call(HttpMethod.Get, "linode/types");
        await Call(HttpMethod.Get, "linode/types/g6-standard-1");
        await Call(HttpMethod.Get, "images");
        await Call(HttpMethod.Get, "images/linode%2Fdebian12");
        await Call(HttpMethod.Get, "images/linode/debian12");

        // An instance that boots, and one that stays offline (no image).
        var booted = await Call(HttpMethod.Post, "linode/instances", new JsonObject
        {
            ["label"] = "contract-web-1",
            ["region"] = "us-east",
            ["type"] = "g6-nanode-1",
            ["image"] = "linode/debian12",
            ["root_pass"] = "Contract-Test-Passw0rd!",
            ["private_ip"] = true,
            ["tags"] = new JsonArray("contract"),
        });
        var bootedId = booted!["id"]!.GetValue<long>();
        var bare = await Call(HttpMethod.Post, "linode/instances", new JsonObject
        {
            ["label"] = "contract-bare",
            ["region"] = "us-east",
            ["type"] = "g6-standard-1",
            ["tags"] = new JsonArray("contract"),
        });
        var bareId = bare!["id"]!.GetValue<long>();

        // Validation errors, several fields at once; unknown region/type/image; weak password.
        await Call(HttpMethod.Post, "linode/instances", new JsonObject { ["label"] = "x" }, HttpStatusCode.BadRequest);
        await Call(HttpMethod.Post, "linode/instances", new JsonObject
        {
            ["region"] = "nowhere-1",
            ["type"] = "g0-imaginary",
            ["image"] = "linode/temple-os",
            ["root_pass"] = "weak",
        }, HttpStatusCode.BadRequest);

        await WaitForStatus(bootedId, "running");
        await Call(HttpMethod.Get, "linode/instances");
        await CallFiltered("linode/instances", """{"tags":"contract"}""");
        await CallFiltered("linode/instances", """{"+or":[{"label":"contract-bare"},{"region":"us-east"}],"+order_by":"label","+order":"desc"}""");
        await CallFiltered("linode/instances", """{"specs":1}""", HttpStatusCode.BadRequest);
        await Call(HttpMethod.Get, $"linode/instances/{bootedId}");
        await Call(HttpMethod.Put, $"linode/instances/{bootedId}", new JsonObject { ["tags"] = new JsonArray("contract", "updated") });
        await Call(HttpMethod.Get, $"linode/instances/{bootedId}/ips");
        // What Terraform's linode_instance reads besides the instance.
        var disks = await Call(HttpMethod.Get, $"linode/instances/{bootedId}/disks");
        await Call(HttpMethod.Get, $"linode/instances/{bootedId}/disks/{disks!["data"]![0]!["id"]}");
        var configs = await Call(HttpMethod.Get, $"linode/instances/{bootedId}/configs");
        await Call(HttpMethod.Get, $"linode/instances/{bootedId}/configs/{configs!["data"]![0]!["id"]}");
        await Call(HttpMethod.Post, $"linode/instances/{bareId}/ips", new JsonObject { ["type"] = "ipv4", ["public"] = false });
        await Call(HttpMethod.Get, "linode/instances/999999999", expect: HttpStatusCode.NotFound);

        await Call(HttpMethod.Post, $"linode/instances/{bareId}/boot", new JsonObject());
        await WaitForStatus(bareId, "running");
        await Call(HttpMethod.Post, $"linode/instances/{bareId}/reboot", new JsonObject());
        await WaitForStatus(bareId, "running");
        await Call(HttpMethod.Post, $"linode/instances/{bareId}/shutdown");
        await WaitForStatus(bareId, "offline");

        // NodeBalancer, config, nodes, rebuild.
        var nb = await Call(HttpMethod.Post, "nodebalancers", new JsonObject
        {
            ["region"] = "us-east",
            ["label"] = "contract-nb",
            ["tags"] = new JsonArray("contract"),
        });
        var nbId = nb!["id"]!.GetValue<long>();
        await Call(HttpMethod.Get, "nodebalancers");
        await Call(HttpMethod.Get, $"nodebalancers/{nbId}");
        await Call(HttpMethod.Put, $"nodebalancers/{nbId}", new JsonObject { ["client_conn_throttle"] = 5 });
        var config = await Call(HttpMethod.Post, $"nodebalancers/{nbId}/configs", new JsonObject
        {
            ["port"] = 8089,
            ["check"] = "http",
            ["check_path"] = "/health",
            ["check_interval"] = 5,
            ["check_timeout"] = 3,
            ["check_attempts"] = 2,
        });
        var configId = config!["id"]!.GetValue<long>();
        await Call(HttpMethod.Post, $"nodebalancers/{nbId}/configs", new JsonObject
        {
            ["port"] = 8089,
            ["check_interval"] = 3,
            ["check_timeout"] = 5,
        }, HttpStatusCode.BadRequest);
        await Call(HttpMethod.Get, $"nodebalancers/{nbId}/configs");
        await Call(HttpMethod.Get, $"nodebalancers/{nbId}/stats");
        await Call(HttpMethod.Get, $"nodebalancers/{nbId}/configs/{configId}");
        await Call(HttpMethod.Put, $"nodebalancers/{nbId}/configs/{configId}", new JsonObject { ["algorithm"] = "leastconn" });

        var ips = await Call(HttpMethod.Get, $"linode/instances/{bootedId}/ips");
        var privateIp = ips!["ipv4"]!["private"]![0]!["address"]!.GetValue<string>();
        var node = await Call(HttpMethod.Post, $"nodebalancers/{nbId}/configs/{configId}/nodes", new JsonObject
        {
            ["label"] = "contract-node",
            ["address"] = privateIp + ":8080",
        });
        var nodeId = node!["id"]!.GetValue<long>();
        await Call(HttpMethod.Post, $"nodebalancers/{nbId}/configs/{configId}/nodes", new JsonObject
        {
            ["label"] = "bad-node",
            ["address"] = "10.1.2.3:8080",
        }, HttpStatusCode.BadRequest);
        await Call(HttpMethod.Get, $"nodebalancers/{nbId}/configs/{configId}/nodes");
        await Call(HttpMethod.Get, $"nodebalancers/{nbId}/configs/{configId}/nodes/{nodeId}");
        await Call(HttpMethod.Put, $"nodebalancers/{nbId}/configs/{configId}/nodes/{nodeId}", new JsonObject { ["mode"] = "drain" });
        await Call(HttpMethod.Post, $"nodebalancers/{nbId}/configs/{configId}/rebuild", new JsonObject
        {
            ["port"] = 8089,
            ["check"] = "connection",
            ["nodes"] = new JsonArray(new JsonObject
            {
                ["id"] = nodeId,
                ["label"] = "contract-node",
                ["address"] = privateIp + ":8080",
                ["mode"] = "accept",
            }),
        });

        await Call(HttpMethod.Get, "networking/ips");
        await Call(HttpMethod.Get, "networking/ipv6/ranges");

        await Call(HttpMethod.Post, "tags", new JsonObject { ["label"] = "contract-tag", ["linodes"] = new JsonArray(bootedId) });
        await Call(HttpMethod.Get, "tags");
        await Call(HttpMethod.Get, "tags/contract-tag");
        await Call(HttpMethod.Delete, "tags/contract-tag");

        var events = await Call(HttpMethod.Get, "account/events");
        var eventId = events!["data"]![0]!["id"]!.GetValue<long>();
        await Call(HttpMethod.Get, $"account/events/{eventId}");
        await CallFiltered("account/events", """{"entity.type":"linode","entity.id":""" + bootedId + ""","+order_by":"created","+order":"desc"}""");
        await Call(HttpMethod.Post, $"account/events/{eventId}/seen");
        await Call(HttpMethod.Get, "account");
        // What linode-cli's configure reads.
        await Call(HttpMethod.Get, "profile");
        var users = await Call(HttpMethod.Get, "account/users");
        await Call(HttpMethod.Get, $"account/users/{users!["data"]![0]!["username"]}");

        await Call(HttpMethod.Delete, $"nodebalancers/{nbId}/configs/{configId}/nodes/{nodeId}");
        await Call(HttpMethod.Delete, $"nodebalancers/{nbId}/configs/{configId}");
        await Call(HttpMethod.Delete, $"nodebalancers/{nbId}");
        await Call(HttpMethod.Delete, $"linode/instances/{bootedId}");
        await Call(HttpMethod.Delete, $"linode/instances/{bareId}");

        // Without a token.
        using var anonymous = new HttpRequestMessage(HttpMethod.Get, "linode/instances");
        anonymous.Headers.TryAddWithoutValidation("Authorization", "Bearer");
        await Send(anonymous, HttpStatusCode.Unauthorized);
    }

    private async Task WaitForStatus(long id, string status)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            using var response = await api.GetAsync($"linode/instances/{id}");
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync());
            if (body?["status"]?.GetValue<string>() == status)
            {
                return;
            }
            deadline.Token.ThrowIfCancellationRequested();
            await Task.Delay(100);
        }
    }

    private async Task<JsonNode?> CallFiltered(string path, string filter, HttpStatusCode expect = HttpStatusCode.OK)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("X-Filter", filter);
        return await Send(request, expect);
    }

    private async Task<JsonNode?> Call(HttpMethod method, string path, JsonObject? body = null, HttpStatusCode expect = HttpStatusCode.OK)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }
        return await Send(request, expect);
    }

    private async Task<JsonNode?> Send(HttpRequestMessage request, HttpStatusCode expect)
    {
        using var response = await api.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != expect)
        {
            throw new InvalidOperationException($"{request.Method} {request.RequestUri} -> {(int)response.StatusCode} (expected {(int)expect}): {text}");
        }
        return JsonNode.Parse(text);
    }
}
