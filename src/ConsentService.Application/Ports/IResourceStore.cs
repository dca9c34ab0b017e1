namespace ConsentService.Application.Ports;

/// <summary>
/// The versioned resource store. Every write creates a new immutable version with the next version id and
/// a store-wide sequence number; the store stamps <c>meta.versionId</c> and <c>meta.lastUpdated</c> into the
/// stored JSON (the <see cref="StoredResource.Json"/> it returns is exactly what later reads return).
/// Search reads index entries written with each version; it never parses stored JSON.
/// Implementations: Infrastructure/Sqlite (embedded), later Infrastructure/Cosmos. One contract suite
/// (tests/ConsentService.Stores.Tests) defines the behaviour all of them share.
/// </summary>
public interface IResourceStore
{
    /// <summary>Creates version 1 of a new resource. Throws <see cref="ResourceConflictException"/> when the id
    /// is already used (even by a deleted resource) or a unique key is held by another current resource.</summary>
    Task<StoredResource> CreateAsync(ResourceWrite write, CancellationToken ct);

    /// <summary>Conditional create: atomically (with respect to every other write) searches
    /// <paramref name="ifNoneExist"/>; none found -> creates and returns (version, true); one found -> returns
    /// (that current version, false) and writes nothing; several -> <see cref="PreconditionFailedException"/>.</summary>
    Task<(StoredResource Resource, bool Created)> CreateIfNoneExistAsync(ResourceWrite write, SearchQuery ifNoneExist, CancellationToken ct);

    /// <summary>Update (or create with a client-chosen id when it does not exist, or exists only as deleted:
    /// the new version then follows the delete). Honours <see cref="ResourceWrite.IfMatchVersion"/>.
    /// Returns the new version and whether the resource was created by this call.</summary>
    Task<(StoredResource Resource, bool Created)> UpsertAsync(ResourceWrite write, CancellationToken ct);

    /// <summary>Writes a delete version. Returns it, or null when the resource does not exist or is already
    /// deleted (nothing written). Honours <paramref name="ifMatchVersion"/>. <paramref name="audit"/>: as
    /// <see cref="ResourceWrite.Audit"/>, committed in the same transaction as the delete version.</summary>
    Task<StoredResource?> DeleteAsync(string resourceType, string id, int? ifMatchVersion, CancellationToken ct, WriteAudit? audit = null);

    /// <summary>Runs every operation in order in ONE transaction: either all are committed or, when any fails
    /// (conflict, failed precondition, unique key), none is and the failure is thrown. Outcomes are in operation order.</summary>
    Task<IReadOnlyList<TransactionOutcome>> TransactAsync(IReadOnlyList<TransactionOperation> operations, CancellationToken ct);

    /// <summary>The latest version (possibly a delete version), or null when the id was never used.</summary>
    Task<StoredResource?> ReadAsync(string resourceType, string id, CancellationToken ct);

    /// <summary>A specific version (possibly a delete version), or null.</summary>
    Task<StoredResource?> ReadVersionAsync(string resourceType, string id, int versionId, CancellationToken ct);

    /// <summary>The version that was current at the given store sequence (possibly a delete version), or null.</summary>
    Task<StoredResource?> ReadAsOfAsync(string resourceType, string id, long sequence, CancellationToken ct);

    /// <summary>Instance history (<paramref name="id"/> given) or type history, newest first, including deletes.</summary>
    Task<HistoryPage> HistoryAsync(string resourceType, string? id, HistoryQuery query, CancellationToken ct);

    Task<SearchPage> SearchAsync(SearchQuery query, CancellationToken ct);

    /// <summary>Every match of <paramref name="query"/> at its snapshot (now when null), in resource id order (ordinal),
    /// streamed: Count, Offset, Sort and SummaryCount are ignored. For cohort selection over very many resources; the
    /// set is the one current at the snapshot however long the caller takes to read it. Not in commit order: a cohort
    /// streams its studies in this order, and commit order would show a vendor which studies were registered together
    /// (one patient's backlog loaded in one go), while the id order shows only what each line's id already shows.</summary>
    IAsyncEnumerable<StoredResource> StreamAsync(SearchQuery query, CancellationToken ct);

    /// <summary>The current, non-deleted resource holding a unique key, or null. A point lookup.</summary>
    Task<StoredResource?> FindByUniqueKeyAsync(string resourceType, string key, CancellationToken ct);

    /// <summary>The sequence of the last version committed at or before <paramref name="instant"/> (record time;
    /// 0 when none), so that "as of" reads see what the store held then. Version timestamps increase with sequence.</summary>
    Task<long> SequenceAtAsync(DateTimeOffset instant, CancellationToken ct);

    /// <summary>The sequence of the last committed version (0 for an empty store).</summary>
    Task<long> CurrentSequenceAsync(CancellationToken ct);

    /// <summary>Stamps of the keys each committed write touched, raised before the write returns, when this store
    /// sees every write to its data (then in-process caches may serve from memory until a key they rest on is
    /// stamped); null when it cannot (other processes write too), and readers must ask the store.</summary>
    WriteStamps? Changes { get; }

    /// <summary>Cheap reachability check for readiness probes.</summary>
    Task<bool> PingAsync(CancellationToken ct);
}
