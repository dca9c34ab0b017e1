namespace ConsentService.Application.Ports;

/// <summary>One AuditEvent as stored: its id (a decision's decisionId), when it was recorded, and its stored form: the
/// FHIR AuditEvent's JSON, or for a decision its decision record (<see cref="Audit.DecisionAuditEvent"/>), which
/// renders to the FHIR event. Readers go through <see cref="Audit.StoredAuditEvents"/>.</summary>
/// <remarks>The JSON string is the canonical form of the event: the store keeps it byte for byte (UTF-8) and
/// the hash chain is computed over exactly these bytes (see <see cref="Audit.AuditChain"/>).</remarks>
public sealed record AuditRecord(string Id, DateTimeOffset Recorded, string Json)
{
    /// <summary>Search index entries of the event, extracted at build time (AuditEvent search never parses JSON).</summary>
    public IReadOnlyList<SearchIndexEntry> Index { get; init; } = [];
}

/// <summary>A committed audit record with its place on a hash chain.</summary>
/// <param name="Chain">The chain it belongs to: one per writer (SQLite: one, <see cref="Audit.AuditChain.SingleWriter"/>;
/// Cosmos: one per writer/partition).</param>
/// <param name="Sequence">Its position on the chain, 1, 2, 3... in commit order.</param>
/// <param name="PreviousHash">The hash of the record before it on the chain (the genesis hash for the first).</param>
/// <param name="Hash">SHA-256 over PreviousHash, Sequence, Id, Recorded and Json (<see cref="Audit.AuditChain.Hash"/>).</param>
public sealed record ChainedAuditRecord(string Chain, long Sequence, AuditRecord Record, string PreviousHash, string Hash);

/// <summary>
/// The append-only audit trail. <see cref="AppendAsync"/> returns only once every record is durable (committed),
/// so a decision is answered only after its record exists; when it throws, nothing may be answered as a permit.
/// Implementations group-commit concurrent appends and hash-chain every record (<see cref="Audit.AuditChain"/>).
/// Records written with a resource version (<see cref="ResourceWrite.Audit"/>) join the same chains.
/// </summary>
public interface IAuditLog
{
    Task AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken ct);

    Task<AuditRecord?> ReadAsync(string id, CancellationToken ct);

    /// <summary>Searches AuditEvents through their index entries (same <see cref="SearchQuery"/> semantics as
    /// resources; <c>_lastUpdated</c> is the record time). Results are <see cref="StoredResource"/>s of type
    /// AuditEvent, version 1, whose <see cref="StoredResource.Sequence"/> is the store's audit sequence;
    /// <see cref="SearchPage.Snapshot"/> makes paging stable while others append.</summary>
    Task<SearchPage> SearchAsync(SearchQuery query, CancellationToken ct);

    /// <summary>Readiness: true when an append could be committed now (the writer runs and the trail answers).
    /// Cheap; writes nothing.</summary>
    Task<bool> IsWritableAsync(CancellationToken ct);

    /// <summary>The names of the chains that hold at least one record.</summary>
    Task<IReadOnlyList<string>> ChainsAsync(CancellationToken ct);

    /// <summary>Up to <paramref name="limit"/> COMMITTED records of <paramref name="chain"/> with a sequence above
    /// <paramref name="afterSequence"/>, in sequence (= commit) order. A record is never returned before every
    /// record with a lower sequence on its chain is committed, so a reader that resumes after the last sequence it
    /// saw never skips one.</summary>
    Task<IReadOnlyList<ChainedAuditRecord>> ReadChainAsync(string chain, long afterSequence, int limit, CancellationToken ct);
}
