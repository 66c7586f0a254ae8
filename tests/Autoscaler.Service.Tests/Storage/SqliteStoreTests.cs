using Autoscaler.Service.Storage;
using Autoscaler.Service.Tests.Support;

namespace Autoscaler.Service.Tests;

/// <summary>The store contract on the embedded SQLite file.</summary>
public sealed class SqliteStoreTests : StoreContractTests, IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    protected override IAutoscalerStore Open(SqliteStoreOptions? options = null) => SqliteStore.Open(_dir.File("j.db"), Time, options);
}

/// <summary>The billing ledger contract on the embedded SQLite file.</summary>
public sealed class SqliteBillingLedgerTests : BillingLedgerContractTests, IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    protected override IAutoscalerStore Open() => SqliteStore.Open(_dir.File("j.db"), Time);
}
