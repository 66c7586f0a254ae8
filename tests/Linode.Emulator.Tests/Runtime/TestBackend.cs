using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Linode.Emulator.Tests.Runtime;

/// <summary>A tiny HTTP backend on its own loopback address: <c>/</c> answers its name, <c>/health</c> answers
/// <see cref="HealthBody"/> with <see cref="HealthStatus"/>. It can be stopped and started again on the same
/// endpoint, hold requests, or fail them.</summary>
internal sealed class TestBackend : IAsyncDisposable
{
    private WebApplication? _app;
    private TaskCompletionSource _gate = NewOpenGate();
    private int _held;

    private TestBackend(string name, IPEndPoint endpoint)
    {
        Name = name;
        Endpoint = endpoint;
    }

    public string Name { get; }

    public IPEndPoint Endpoint { get; }

    public int HealthStatus { get; set; } = 200;

    public string HealthBody { get; set; } = "ok";

    /// <summary>Status of <c>/</c> (e.g. 500 to fail passive checks).</summary>
    public int RootStatus { get; set; } = 200;

    /// <summary>Headers of the <c>/</c> requests received.</summary>
    public ConcurrentQueue<Dictionary<string, string>> Received { get; } = new();

    /// <summary>Requests to <c>/</c> waiting at the gate.</summary>
    public int Held => Volatile.Read(ref _held);

    public static async Task<TestBackend> StartAsync(string name)
    {
        var backend = new TestBackend(name, new IPEndPoint(Loopback.Next(), 8080));
        await backend.StartAsync();
        return backend;
    }

    /// <summary>A backend on a given endpoint (e.g. an emulated instance's private loopback address).</summary>
    public static async Task<TestBackend> StartAtAsync(string name, IPEndPoint endpoint)
    {
        var backend = new TestBackend(name, endpoint);
        await backend.StartAsync();
        return backend;
    }

    /// <summary>Requests to <c>/</c> wait until <see cref="Release"/>.</summary>
    public void Hold() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release() => _gate.TrySetResult();

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(Endpoint));
        var app = builder.Build();
        app.Run(HandleAsync);
        await app.StartAsync();
        _app = app;
    }

    public async Task StopAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            Release();
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    private async Task HandleAsync(HttpContext context)
    {
        if (context.Request.Path == "/health")
        {
            context.Response.StatusCode = HealthStatus;
            await context.Response.WriteAsync(HealthBody);
            return;
        }

        Received.Enqueue(context.Request.Headers.ToDictionary(
            h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase));
        Interlocked.Increment(ref _held);
        try
        {
            await _gate.Task;
        }
        finally
        {
            Interlocked.Decrement(ref _held);
        }

        context.Response.StatusCode = RootStatus;
        await context.Response.WriteAsync(Name);
    }

    private static TaskCompletionSource NewOpenGate()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        gate.SetResult();
        return gate;
    }
}
