using Autoscaler.Service.Storage;
using Autoscaler.Service.Tests.Support;

namespace Autoscaler.Service.Tests;

/// <summary>The store contract on PostgreSQL (a database of its own per test on the assembly's server).</summary>
public sealed class PostgresStoreTests : StoreContractTests, IAsyncLifetime
{
    private string _url = "";

    public async Task InitializeAsync() => _url = await SharedPostgres.NewDatabaseAsync("store");

    public Task DisposeAsync() => Task.CompletedTask;

    protected override IAutoscalerStore Open(SqliteStoreOptions? options = null) =>
        PostgresStore.OpenAsync(_url, Time, options).GetAwaiter().GetResult();
}

/// <summary>The billing ledger contract on PostgreSQL.</summary>
public sealed class PostgresBillingLedgerTests : BillingLedgerContractTests, IAsyncLifetime
{
    private string _url = "";

    public async Task InitializeAsync() => _url = await SharedPostgres.NewDatabaseAsync("ledger");

    public Task DisposeAsync() => Task.CompletedTask;

    protected override IAutoscalerStore Open() => PostgresStore.OpenAsync(_url, Time).GetAwaiter().GetResult();
}
