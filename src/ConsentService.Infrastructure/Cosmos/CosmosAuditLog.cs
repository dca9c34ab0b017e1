using System.Net;
using ConsentService.Application.Ports;
using Microsoft.Azure.Cosmos;

namespace ConsentService.Infrastructure.Cosmos;

/// <summary>One AuditEvent as stored: its own logical partition <c>ae|{id}</c> (a read by id is one point
/// read), with the writer (this process) and the writer's own append order, from which a hash chain per writer
/// can be built and verified.</summary>
internal sealed record AuditDoc(string Id, string Pk, long Recorded, string Json, string Writer, long WriterSeq);

/// <summary>
/// The audit trail in the <c>audit</c> container. An append completes when every record is acknowledged by
/// Cosmos DB (written to a quorum of replicas: durable). Concurrent appends are sent concurrently, so they share
/// the round trip rather than queue behind each other. A retried append is idempotent: a record that already
/// exists with the same content counts as written; with other content, the append fails.
/// </summary>
public sealed class CosmosAuditLog(CosmosContainers containers) : IAuditLog
{
    private readonly string _writer = Guid.NewGuid().ToString("N");
    private long _writerSeq;

    public async Task AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken ct)
    {
        if (records.Count == 0)
            return;
        await Task.WhenAll(records.Select(record => AppendOneAsync(record, ct))).ConfigureAwait(false);
    }

    private async Task AppendOneAsync(AuditRecord record, CancellationToken ct)
    {
        var doc = new AuditDoc(record.Id, Pk(record.Id), CosmosTime.Micros(record.Recorded), record.Json, _writer, Interlocked.Increment(ref _writerSeq));
        if (await CosmosDocumentIo.TryCreateAsync(containers.Audit, doc, doc.Pk, ct).ConfigureAwait(false))
            return;
        var (existing, _) = await CosmosDocumentIo.ReadAsync<AuditDoc>(containers.Audit, doc.Id, doc.Pk, ct).ConfigureAwait(false);
        if (existing is null || existing.Json != doc.Json || existing.Recorded != doc.Recorded)
            throw new CosmosException($"Audit record {record.Id} already exists with other content.", HttpStatusCode.Conflict, 0, "", 0);
    }

    public async Task<AuditRecord?> ReadAsync(string id, CancellationToken ct)
    {
        var (doc, _) = await CosmosDocumentIo.ReadAsync<AuditDoc>(containers.Audit, id, Pk(id), ct).ConfigureAwait(false);
        return doc is null ? null : new AuditRecord(doc.Id, CosmosTime.Instant(doc.Recorded), doc.Json);
    }

    // INTERIM (issue 7 in progress): search, chains and chain reads of the audit trail on Cosmos are being built;
    // until then they answer 503 rather than an incomplete trail.
    public Task<SearchPage> SearchAsync(SearchQuery query, CancellationToken ct) =>
        throw new Application.ServiceUnavailableException("AuditEvent search is not yet available on the Cosmos DB store.");

    public Task<IReadOnlyList<string>> ChainsAsync(CancellationToken ct) =>
        throw new Application.ServiceUnavailableException("Audit chains are not yet available on the Cosmos DB store.");

    public Task<IReadOnlyList<ChainedAuditRecord>> ReadChainAsync(string chain, long afterSequence, int limit, CancellationToken ct) =>
        throw new Application.ServiceUnavailableException("Audit chains are not yet available on the Cosmos DB store.");

    private static string Pk(string id) => "ae|" + id;
}
