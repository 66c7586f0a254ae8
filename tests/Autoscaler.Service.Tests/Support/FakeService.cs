using System.Collections.Concurrent;
using Autoscaler.Core.Configuration;
using Autoscaler.Service.Configuration;

namespace Autoscaler.Service.Tests.Support;

/// <summary>The service on a free loopback port with in-memory pools (<see cref="GatedPool"/>) instead of Linode, its
/// journal in a temp folder, and an HttpClient pointed at it.</summary>
public sealed class FakeService : IAsyncDisposable
{
    private readonly TempDir _dir;

    private FakeService(TempDir dir, AutoscalerHost host, ConcurrentDictionary<string, GatedPool> pools)
    {
        _dir = dir;
        Host = host;
        Pools = pools;
        Http = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    public AutoscalerHost Host { get; }

    public ConcurrentDictionary<string, GatedPool> Pools { get; }

    public HttpClient Http { get; }

    public static async Task<FakeService> StartAsync(Func<TempDir, AutoscalerConfig> config, Action<GatedPool>? prepare = null)
    {
        var dir = new TempDir();
        var pools = new ConcurrentDictionary<string, GatedPool>();
        try
        {
            var host = await AutoscalerHost.StartAsync(config(dir), new AutoscalerServices
            {
                InstancePools = p =>
                {
                    var pool = new GatedPool(p.Name, TimeProvider.System);
                    prepare?.Invoke(pool);
                    pools[p.Name] = pool;
                    return pool;
                },
            });
            return new FakeService(dir, host, pools);
        }
        catch
        {
            dir.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var p in Pools.Values)
        {
            p.Open();
        }

        Http.Dispose();
        await Host.DisposeAsync();
        _dir.Dispose();
    }
}
