using Autoscaler.Sandbox;

namespace Autoscaler.Service.Tests.Support;

/// <summary>One PostgreSQL server for the whole test assembly (started on first use, stopped when the test process
/// exits); each test gets a database of its own from <see cref="NewDatabaseAsync"/>.</summary>
internal static class SharedPostgres
{
    private static readonly Lazy<Task<PostgresServer>> Server = new(StartAsync, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The server.</summary>
    public static Task<PostgresServer> GetAsync() => Server.Value;

    /// <summary>A new empty database's URL.</summary>
    public static async Task<string> NewDatabaseAsync(string prefix = "t") => await (await GetAsync()).CreateDatabaseAsync(prefix);

    private static async Task<PostgresServer> StartAsync()
    {
        var server = await PostgresServer.StartAsync();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return server;
    }
}
