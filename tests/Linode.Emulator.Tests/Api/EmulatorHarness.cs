using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Linode.Emulator.Tests.Api.Fakes;
using Microsoft.Extensions.Time.Testing;

namespace Linode.Emulator.Tests.Api;

/// <summary>An emulator on a free loopback port with fake runtimes, and a client that speaks to it over real HTTP.</summary>
internal sealed class EmulatorHarness : IAsyncDisposable
{
    public const string Token = "test-token";

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private EmulatorHarness(EmulatorHost host, FakeInstanceRuntime instances, FakeLoadBalancerRuntime balancers, FakeTimeProvider? time)
    {
        Host = host;
        Instances = instances;
        Balancers = balancers;
        Time = time;
        Client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public EmulatorHost Host { get; }

    public FakeInstanceRuntime Instances { get; }

    public FakeLoadBalancerRuntime Balancers { get; }

    /// <summary>The emulator's clock when the test drives it; null when it runs on the system clock.</summary>
    public FakeTimeProvider? Time { get; }

    public HttpClient Client { get; }

    /// <summary>Starts with zero delays (every transition at once) unless <paramref name="configure"/> says otherwise.</summary>
    /// <param name="realBalancers">A real load balancer runtime to use instead of the fake one (the caller owns
    /// it; <see cref="Balancers"/> then records nothing).</param>
    public static async Task<EmulatorHarness> StartAsync(Action<EmulatorOptions>? configure = null, FakeTimeProvider? time = null,
        Linode.Emulator.Runtime.ILoadBalancerRuntime? realBalancers = null)
    {
        var options = new EmulatorOptions { Listen = "127.0.0.1:0", Delays = EmulatorDelays.None };
        configure?.Invoke(options);
        var instances = new FakeInstanceRuntime();
        var balancers = new FakeLoadBalancerRuntime();
        var host = await EmulatorHost.StartAsync(options, new EmulatorServices
        {
            Time = time,
            Instances = instances,
            Balancers = realBalancers ?? balancers,
        });
        return new EmulatorHarness(host, instances, balancers, time);
    }

    public async Task<ApiResponse> SendAsync(HttpMethod method, string path, JsonNode? body = null, string? filter = null,
        string? token = Token, bool api = true)
    {
        using var request = new HttpRequestMessage(method, api ? "v4/" + path : path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        if (filter is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Filter", filter);
        }
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }
        using var response = await Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return new ApiResponse(response.StatusCode, text, response.Headers);
    }

    public Task<ApiResponse> GetAsync(string path, string? filter = null) => SendAsync(HttpMethod.Get, path, filter: filter);

    /// <summary>GET that must succeed.</summary>
    public async Task<JsonObject> GetOkAsync(string path, string? filter = null) => (await GetAsync(path, filter)).Ok();

    public async Task<JsonObject> PostOkAsync(string path, JsonNode? body = null) => (await SendAsync(HttpMethod.Post, path, body ?? new JsonObject())).Ok();

    public async Task<JsonObject> PutOkAsync(string path, JsonNode body) => (await SendAsync(HttpMethod.Put, path, body)).Ok();

    public async Task<JsonObject> DeleteOkAsync(string path) => (await SendAsync(HttpMethod.Delete, path)).Ok();

    /// <summary>Creates an instance (a booted Nanode from Debian 12 unless <paramref name="with"/> changes it).</summary>
    public Task<JsonObject> CreateInstanceAsync(Action<JsonObject>? with = null)
    {
        var body = new JsonObject
        {
            ["region"] = "us-east",
            ["type"] = "g6-nanode-1",
            ["image"] = "linode/debian12",
            ["root_pass"] = "Correct-Horse-Battery-9",
        };
        with?.Invoke(body);
        return PostOkAsync("linode/instances", body);
    }

    public async Task<JsonObject> WaitForStatusAsync(long id, string status)
    {
        return await EventuallyAsync($"instance {id} {status}", async () =>
        {
            var instance = await GetOkAsync($"linode/instances/{id}");
            return instance["status"]!.GetValue<string>() == status ? instance : null;
        });
    }

    /// <summary>Polls until <paramref name="probe"/> gives a value (jobs run in the background even on a fake clock).</summary>
    public static async Task<T> EventuallyAsync<T>(string what, Func<Task<T?>> probe)
        where T : class
    {
        using var deadline = new CancellationTokenSource(Patience);
        while (true)
        {
            if (await probe() is { } value)
            {
                return value;
            }
            if (deadline.IsCancellationRequested)
            {
                throw new TimeoutException("gave up waiting for " + what);
            }
            await Task.Delay(20);
        }
    }

    public static async Task EventuallyAsync(string what, Func<bool> condition)
    {
        await EventuallyAsync(what, () => Task.FromResult(condition() ? "ok" : null));
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Host.DisposeAsync();
    }
}

/// <summary>A response as the tests read it.</summary>
internal sealed record ApiResponse(HttpStatusCode Status, string Text, HttpResponseHeaders Headers)
{
    public JsonNode? Json => Text.Length == 0 ? null : JsonNode.Parse(Text);

    public JsonObject Ok()
    {
        Assert.True(Status == HttpStatusCode.OK, $"expected 200, got {(int)Status}: {Text}");
        return Json!.AsObject();
    }

    /// <summary>The (field, reason) pairs of an error body.</summary>
    public IReadOnlyList<(string? Field, string Reason)> Errors =>
        [.. Json!["errors"]!.AsArray().Select(e => (e!["field"]?.GetValue<string>(), e["reason"]!.GetValue<string>()))];

    public string Header(string name) => Headers.TryGetValues(name, out var values) ? string.Join(",", values) : "";
}
