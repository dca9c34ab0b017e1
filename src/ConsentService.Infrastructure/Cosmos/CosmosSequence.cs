using System.Globalization;
using System.Net;
using Microsoft.Azure.Cosmos;

namespace ConsentService.Infrastructure.Cosmos;

/// <summary>
/// The store-wide commit sequence: one counter document, incremented with If-Match (so several writers, in any
/// number of processes, get distinct, increasing numbers and timestamps that rise with them). A write registers
/// its intent in the same replace and removes it when it has committed or cleaned up. A snapshot S is the
/// counter's value once no intent at or below S is in flight: every version document with a sequence at or
/// below S then exists only if it committed, so S is stable for paging and "as of" reads.
/// </summary>
internal sealed class CosmosSequence(Container container, TimeProvider time, TimeSpan lease)
{
    private static readonly string Pk = CosmosKeys.SequenceId;

    public TimeSpan Lease => lease;

    public async Task EnsureAsync(CancellationToken ct) =>
        await CosmosDocumentIo.TryCreateAsync(container, new SequenceDoc(Pk, Pk, 0, 0, 0, []), Pk, ct).ConfigureAwait(false);

    public async Task<(SequenceDoc Doc, string ETag)> ReadAsync(CancellationToken ct)
    {
        var (doc, etag) = await CosmosDocumentIo.ReadAsync<SequenceDoc>(container, Pk, Pk, ct).ConfigureAwait(false);
        if (doc is null)
        {
            await EnsureAsync(ct).ConfigureAwait(false);
            (doc, etag) = await CosmosDocumentIo.ReadAsync<SequenceDoc>(container, Pk, Pk, ct).ConfigureAwait(false);
        }
        return (doc!, etag!);
    }

    /// <summary>Hands out the next sequence number and version timestamp (Unix µs, strictly after the last one) and
    /// registers the write's intent.</summary>
    public async Task<(long Seq, long Ticks)> BeginAsync(string type, string rid, int version, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var (doc, etag) = await ReadAsync(ct).ConfigureAwait(false);
            var now = CosmosTime.Micros(time.GetUtcNow());
            var ticks = Math.Max(now, doc.LastMicros + 1);
            var seq = doc.Value + 1;
            var pending = new Dictionary<string, WriteIntent>(doc.Pending)
            {
                [Key(seq)] = new WriteIntent(seq, type, rid, version, now),
            };
            var next = doc with { Value = seq, LastMicros = ticks, FirstMicros = doc.FirstMicros == 0 ? ticks : doc.FirstMicros, Pending = pending };
            if (await CosmosDocumentIo.TryReplaceAsync(container, next, Pk, Pk, etag, ct).ConfigureAwait(false))
                return (seq, ticks);
            await CosmosDocumentIo.BackoffAsync(attempt, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Removes a write's intent: it has committed, or everything it wrote has been deleted.</summary>
    public async Task EndAsync(long seq, CancellationToken ct)
    {
        try
        {
            await container.PatchItemAsync<SequenceDoc>(Pk, new PartitionKey(Pk), [PatchOperation.Remove("/pending/" + Key(seq))],
                new PatchItemRequestOptions { EnableContentResponseOnWrite = false }, ct).ConfigureAwait(false);
        }
        catch (CosmosException ex) when (ex.StatusCode == HttpStatusCode.BadRequest)
        {
            // removing an absent intent is refused: already ended (an idempotent retry, or the sweep)
            var (doc, _) = await ReadAsync(ct).ConfigureAwait(false);
            if (doc.Pending.ContainsKey(Key(seq)))
                throw;
        }
    }

    /// <summary>A stable snapshot: the current value once every intent at or below it has ended. Intents older
    /// than the lease belong to dead writers and are handed to <paramref name="resolve"/> (the recovery sweep).</summary>
    public async Task<long> SnapshotAsync(Func<WriteIntent, CancellationToken, Task> resolve, CancellationToken ct)
    {
        var (doc, _) = await ReadAsync(ct).ConfigureAwait(false);
        var snapshot = doc.Value;
        for (var attempt = 0; ; attempt++)
        {
            var waiting = doc.Pending.Values.Where(i => i.Seq <= snapshot).ToList();
            if (waiting.Count == 0)
                return snapshot;
            var expired = waiting.Where(Expired).ToList();
            foreach (var intent in expired)
                await resolve(intent, ct).ConfigureAwait(false);
            if (expired.Count == 0)
                await CosmosDocumentIo.BackoffAsync(attempt, ct).ConfigureAwait(false);
            (doc, _) = await ReadAsync(ct).ConfigureAwait(false);
        }
    }

    public bool Expired(long at) => CosmosTime.Micros(time.GetUtcNow()) - at > (long)lease.TotalMicroseconds;

    public bool Expired(WriteIntent intent) => Expired(intent.At);

    private static string Key(long seq) => seq.ToString(CultureInfo.InvariantCulture);
}
