using Autoscaler.Core.Audit;
using Autoscaler.Core.Billing;
using Autoscaler.Core.Pools;

namespace Autoscaler.Service.Storage;

/// <summary>
/// The service's durable memory as the host, the API and the dashboard see it: the operation journal, the pools'
/// records, the audit trail and the billing ledger. Two backends keep the same behaviour: <see cref="SqliteStore"/>
/// (one file, the default) and <see cref="PostgresStore"/> (a database several replicas share, for high availability).
/// </summary>
public interface IAutoscalerStore : IOperationJournal, IDecisionLog, IBillingLedger, IDisposable
{
    /// <summary>Where it keeps its data, for the log: a file path, or a database address without its password.</summary>
    string Location { get; }

    /// <summary>Stores the decision when it changes something or differs from the pool's previous one; returns
    /// whether it was stored.</summary>
    ValueTask<bool> TryRecordDecisionAsync(Decision decision, CancellationToken cancellationToken);

    /// <summary>Decisions and operation events, newest first, optionally of one pool.</summary>
    IReadOnlyList<StoredEvent> GetEvents(string? pool, int limit);
}

/// <summary>Row counts and trimming on demand, for tests and diagnostics.</summary>
internal interface IStoreDiagnostics
{
    long Count(string table);

    void TrimNow();
}
