using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Threading.Channels;
using ConsentService.Application.Audit;
using ConsentService.Application.Ports;
using Microsoft.Azure.Cosmos;

namespace ConsentService.Infrastructure.Cosmos;

/// <summary>
/// The audit trail in the <c>audit</c> container, one hash chain per writer (this instance; a new chain after a
/// failed commit or every <see cref="MaxChainLength"/> records). Appends are group-committed: one loop takes every
/// queued append, claims each record's id (<c>ae|{id}</c>), numbers the records on the chain and links their
/// hashes (<see cref="AuditChain.Hash"/>), writes them and their search postings concurrently, and then moves the
/// chain's head (one document, If-Match): the head is the commit point, so a chain never has a gap below its head
/// and nothing above it is ever read. An append returns after the head has moved. A retried append is idempotent
/// (same id, same content: already written; other content: an error). See docs/storage.md ("Audit on Cosmos").
/// </summary>
public sealed class CosmosAuditLog : IAuditLog, IAsyncDisposable, IDisposable
{
    /// <summary>Records per chain before the writer starts a new one (bounds the chain's logical partition).</summary>
    public const long MaxChainLength = 1_000_000;

    private const int MaxBatch = 200;
    private readonly Container _audit;
    private readonly TimeProvider _time;
    private readonly TimeSpan _lease;
    private readonly Channel<PendingAppend> _queue = Channel.CreateUnbounded<PendingAppend>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<string, long> _knownHeads = new(StringComparer.Ordinal);
    private readonly HashSet<string> _abandoned = new(StringComparer.Ordinal);
    private readonly Task _loop;
    private ChainState _chain = ChainState.New();

    public CosmosAuditLog(CosmosContainers containers, CosmosOptions? options = null, TimeProvider? time = null)
    {
        _audit = containers.Audit;
        _time = time ?? TimeProvider.System;
        _lease = (options ?? new CosmosOptions()).IntentLease;
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>The chain this writer currently appends to.</summary>
    public string CurrentChain => _chain.Name;

    /// <summary>Test hook: called before the head moves ("records-written"); throwing there fails the batch.</summary>
    internal Func<string, Task>? StepHook { get; set; }

    private sealed record PendingAppend(IReadOnlyList<AuditRecord> Records, TaskCompletionSource Done);

    private sealed record ChainState(string Name, long Seq, string Hash, string? ETag, long First, long Last)
    {
        public static ChainState New() => new(Guid.NewGuid().ToString("N"), 0, AuditChain.Genesis, null, 0, 0);
    }

    public async Task AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken ct)
    {
        if (records.Count == 0)
            return;
        var append = new PendingAppend(records, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(append))
            throw new ObjectDisposedException(nameof(CosmosAuditLog));
        await append.Done.Task.WaitAsync(ct).ConfigureAwait(false);
    }

    private async Task LoopAsync()
    {
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            var batch = new List<PendingAppend>();
            var records = 0;
            while (records < MaxBatch && reader.TryRead(out var append))
            {
                batch.Add(append);
                records += append.Records.Count;
            }
            try
            {
                await CommitAsync(batch).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // the outcome of some writes is unknown: this chain ends here, the next batch starts a new one
                lock (_abandoned)
                    _abandoned.Add(_chain.Name);
                _chain = ChainState.New();
                foreach (var append in batch)
                    append.Done.TrySetException(ex);
            }
        }
    }

    private enum ClaimOutcome { Claimed, AlreadyWritten }

    private async Task CommitAsync(List<PendingAppend> batch)
    {
        var started = Stopwatch.StartNew();
        if (_chain.Seq >= MaxChainLength)
            _chain = ChainState.New();
        var chain = _chain;
        var claims = await Task.WhenAll(batch.Select(async append =>
        {
            try
            {
                return (append, outcomes: await Task.WhenAll(append.Records.Select(r => ClaimAsync(r, chain.Name))).ConfigureAwait(false), error: (Exception?)null);
            }
            catch (Exception ex)
            {
                return (append, outcomes: Array.Empty<ClaimOutcome>(), error: ex);
            }
        })).ConfigureAwait(false);

        var seq = chain.Seq;
        var hash = chain.Hash;
        long first = chain.First, last = chain.Last;
        var docs = new List<(AuditChainDoc Doc, AuditRecord Record)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (append, outcomes, error) in claims)
        {
            if (error is not null)
                continue;
            for (var i = 0; i < append.Records.Count; i++)
            {
                var record = append.Records[i];
                if (outcomes[i] == ClaimOutcome.AlreadyWritten || !seen.Add(record.Id))
                    continue;
                seq++;
                var previous = hash;
                hash = AuditChain.Hash(previous, seq, record.Id, record.Recorded, record.Json);
                var ts = CosmosTime.Micros(record.Recorded);
                first = first == 0 ? ts : Math.Min(first, ts);
                last = Math.Max(last, ts);
                docs.Add((new AuditChainDoc(record.Id, AuditKeys.Chain(chain.Name), seq, record.Recorded.UtcTicks, ts, record.Json, previous, hash), record));
            }
        }
        if (docs.Count > 0)
        {
            await Task.WhenAll(docs.SelectMany(d => Postings(d.Doc, d.Record, chain.Name).Select(p => (Task)_audit.UpsertItemAsync(p, new PartitionKey(p.Pk), NoContent)))
                .Concat(docs.Select(d => (Task)_audit.UpsertItemAsync(d.Doc, new PartitionKey(d.Doc.Pk), NoContent)))).ConfigureAwait(false);
            if (StepHook is { } hook)
                await hook("records-written").ConfigureAwait(false);
            // self-fencing: a claim older than half the lease may be taken over by another writer
            if (started.Elapsed > _lease / 2)
                throw new TimeoutException("The audit commit took too long; its chain was abandoned.");
            var head = new ChainHeadDoc(chain.Name, AuditKeys.Chains, seq, hash, first, last);
            var options = new ItemRequestOptions { EnableContentResponseOnWrite = false, IfMatchEtag = chain.ETag };
            var response = chain.ETag is null
                ? await _audit.CreateItemAsync(head, new PartitionKey(AuditKeys.Chains), options).ConfigureAwait(false)
                : await _audit.ReplaceItemAsync(head, head.Id, new PartitionKey(AuditKeys.Chains), options).ConfigureAwait(false);
            _chain = chain with { Seq = seq, Hash = hash, ETag = response.ETag, First = first, Last = last };
            _knownHeads[chain.Name] = seq;
            Application.Observability.ConsentTelemetry.AuditCommitDuration.Record(started.Elapsed.TotalSeconds);
            Application.Observability.ConsentTelemetry.AuditDecisionsPerCommit.Record(docs.Count);
        }
        foreach (var (append, _, error) in claims)
        {
            if (error is null)
                append.Done.TrySetResult();
            else
                append.Done.TrySetException(error);
        }
    }

    /// <summary>Claims a record's id for <paramref name="chain"/>. An id already claimed is fine when its record
    /// is committed with the same content (a retry), or when its record never committed and its claim is stale
    /// (its writer gave up or died): the claim is then taken over.</summary>
    private async Task<ClaimOutcome> ClaimAsync(AuditRecord record, string chain)
    {
        var pk = AuditKeys.Claim(record.Id);
        var mine = new AuditClaimDoc(record.Id, pk, chain, CosmosTime.Micros(_time.GetUtcNow()));
        for (var attempt = 0; ; attempt++)
        {
            if (await CosmosDocumentIo.TryCreateAsync(_audit, mine, pk, CancellationToken.None).ConfigureAwait(false))
                return ClaimOutcome.Claimed;
            var (claim, etag) = await CosmosDocumentIo.ReadAsync<AuditClaimDoc>(_audit, record.Id, pk, CancellationToken.None).ConfigureAwait(false);
            if (claim is null)
                continue;
            var written = await ReadCommittedAsync(claim, CancellationToken.None).ConfigureAwait(false);
            if (written is not null)
            {
                return written.Json == record.Json && written.Recorded == record.Recorded.UtcTicks
                    ? ClaimOutcome.AlreadyWritten
                    : throw new CosmosException($"Audit record {record.Id} already exists with other content.", HttpStatusCode.Conflict, 0, "", 0);
            }
            bool abandoned;
            lock (_abandoned)
                abandoned = _abandoned.Contains(claim.Chain);
            var stale = abandoned || CosmosTime.Micros(_time.GetUtcNow()) - claim.At > (long)(_lease / 2).TotalMicroseconds;
            if (!stale)
                throw new CosmosException($"Audit record {record.Id} is being written by another writer.", HttpStatusCode.Conflict, 0, "", 0);
            if (await CosmosDocumentIo.TryReplaceAsync(_audit, mine, record.Id, pk, etag!, CancellationToken.None).ConfigureAwait(false))
                return ClaimOutcome.Claimed;
            await CosmosDocumentIo.BackoffAsync(attempt, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static IEnumerable<AuditPostingDoc> Postings(AuditChainDoc doc, AuditRecord record, string chain)
    {
        var entries = record.Index.Select(IndexEntryDoc.From).ToArray();
        var id = $"{chain}|{doc.Seq.ToString(CultureInfo.InvariantCulture)}";
        var partitions = record.Index
            .Where(e => e.Type == SearchParamType.Reference && e.Value is not null && AuditKeys.Posted.Contains(e.Parameter))
            .Select(e => AuditKeys.Posting(e.Parameter, e.Value!))
            .Append(AuditKeys.Day(record.Recorded))
            .Distinct(StringComparer.Ordinal);
        return partitions.Select(pk => new AuditPostingDoc(id, pk, doc.Id, chain, doc.Seq, doc.Ts, entries));
    }

    private static readonly ItemRequestOptions NoContent = new() { EnableContentResponseOnWrite = false };

    // ---- reads ----

    /// <summary>The record a claim names, when its chain's head has reached it.</summary>
    private async Task<AuditChainDoc?> ReadCommittedAsync(AuditClaimDoc claim, CancellationToken ct)
    {
        var (doc, _) = await CosmosDocumentIo.ReadAsync<AuditChainDoc>(_audit, claim.Id, AuditKeys.Chain(claim.Chain), ct).ConfigureAwait(false);
        return doc is not null && await IsCommittedAsync(claim.Chain, doc.Seq, ct).ConfigureAwait(false) ? doc : null;
    }

    /// <summary>Heads only move forward, so a head seen at or above <paramref name="seq"/> answers without a read.</summary>
    private async Task<bool> IsCommittedAsync(string chain, long seq, CancellationToken ct)
    {
        if (_knownHeads.TryGetValue(chain, out var known) && known >= seq)
            return true;
        var head = await ReadHeadAsync(chain, ct).ConfigureAwait(false);
        return head >= seq;
    }

    private async Task<long> ReadHeadAsync(string chain, CancellationToken ct)
    {
        var (head, _) = await CosmosDocumentIo.ReadAsync<ChainHeadDoc>(_audit, chain, AuditKeys.Chains, ct).ConfigureAwait(false);
        var seq = head?.Seq ?? 0;
        _knownHeads.AddOrUpdate(chain, seq, (_, old) => Math.Max(old, seq));
        return seq;
    }

    public async Task<AuditRecord?> ReadAsync(string id, CancellationToken ct)
    {
        var (claim, _) = await CosmosDocumentIo.ReadAsync<AuditClaimDoc>(_audit, id, AuditKeys.Claim(id), ct).ConfigureAwait(false);
        return claim is null ? null : (await ReadCommittedAsync(claim, ct).ConfigureAwait(false))?.ToRecord();
    }

    private async Task<List<ChainHeadDoc>> HeadsAsync(CancellationToken ct) =>
        await CosmosContainers.QueryPartitionAsync<ChainHeadDoc>(_audit, AuditKeys.Chains,
            "SELECT * FROM c WHERE c.pk = @pk AND c.seq > 0", [], ct).ConfigureAwait(false);

    /// <summary>The chains partition answers (the container an append writes its head to).</summary>
    public async Task<bool> IsWritableAsync(CancellationToken ct)
    {
        await HeadsAsync(ct).ConfigureAwait(false);
        return true;
    }

    public async Task<IReadOnlyList<string>> ChainsAsync(CancellationToken ct) =>
        [.. (await HeadsAsync(ct).ConfigureAwait(false)).Select(h => h.Id).Order(StringComparer.Ordinal)];

    public async Task<IReadOnlyList<ChainedAuditRecord>> ReadChainAsync(string chain, long afterSequence, int limit, CancellationToken ct)
    {
        if (limit <= 0)
            return [];
        var head = await ReadHeadAsync(chain, ct).ConfigureAwait(false);
        if (head <= afterSequence)
            return [];
        var docs = await CosmosContainers.QueryPartitionAsync<AuditChainDoc>(_audit, AuditKeys.Chain(chain),
            $"SELECT TOP {limit.ToString(CultureInfo.InvariantCulture)} * FROM c WHERE c.pk = @pk AND c.seq > @after AND c.seq <= @head ORDER BY c.seq",
            [("@after", afterSequence), ("@head", head)], ct).ConfigureAwait(false);
        return [.. docs.Select(d => new ChainedAuditRecord(chain, d.Seq, d.ToRecord(), d.Prev, d.Hash))];
    }

    // ---- search ----

    /// <summary>
    /// Candidates come from one kind of posting partition: the ids of a patient / entity / agent reference clause,
    /// else the record days in range (bounded by date / _lastUpdated clauses and the chains' first and last
    /// records). A posting is visible when its chain's head at the snapshot covers it; every clause is then
    /// evaluated on the posting's index entries; JSON is read for the page only. The snapshot of a search with a
    /// next page is stored (<c>snapshots</c>) so later pages see the same records.
    /// </summary>
    public async Task<SearchPage> SearchAsync(SearchQuery query, CancellationToken ct)
    {
        var heads = await HeadsAsync(ct).ConfigureAwait(false);
        Dictionary<string, long> visible;
        long snapshot;
        if (query.Snapshot is { } requested && requested > 0
            && (await CosmosDocumentIo.ReadAsync<AuditSnapshotDoc>(_audit, requested.ToString(CultureInfo.InvariantCulture), AuditKeys.Snapshots, ct).ConfigureAwait(false)).Doc is { } stored)
        {
            (visible, snapshot) = (stored.Heads, requested);
        }
        else
        {
            (visible, snapshot) = (heads.ToDictionary(h => h.Id, h => h.Seq, StringComparer.Ordinal), 0);
        }

        var postings = (await CandidatesAsync(query, heads, ct).ConfigureAwait(false))
            .Where(p => visible.TryGetValue(p.Chain, out var head) && p.Seq <= head)
            .DistinctBy(p => p.Rid, StringComparer.Ordinal)
            .ToDictionary(p => p.Rid, StringComparer.Ordinal);
        // record time, then chain and position: a deterministic order for records recorded in the same microsecond
        var matches = postings.Values
            .OrderBy(p => p.Ts).ThenBy(p => p.Chain, StringComparer.Ordinal).ThenBy(p => p.Seq)
            .Select(p => new VersionHead(p.Rid, 1, p.Ts, p.Ts, false, p.E))
            .Where(h => CosmosSearch.Matches(query, h))
            .ToList();
        var ordered = CosmosSearch.Order(matches, query.Sort);
        var take = query.SummaryCount ? 0 : query.Count;
        var page = take <= 0 ? [] : ordered.Skip(Math.Max(0, query.Offset)).Take(take).ToList();
        if (snapshot == 0 && ordered.Count > Math.Max(0, query.Offset) + take && take > 0)
        {
            snapshot = Random.Shared.NextInt64(1, 1L << 53);
            await _audit.CreateItemAsync(new AuditSnapshotDoc(snapshot.ToString(CultureInfo.InvariantCulture), AuditKeys.Snapshots, visible, CosmosTime.Micros(_time.GetUtcNow())),
                new PartitionKey(AuditKeys.Snapshots), NoContent, ct).ConfigureAwait(false);
        }
        var loaded = await Task.WhenAll(page.Select(async h =>
        {
            var (doc, _) = await CosmosDocumentIo.ReadAsync<AuditChainDoc>(_audit, h.Rid, AuditKeys.Chain(postings[h.Rid].Chain), ct).ConfigureAwait(false);
            return doc is null
                ? throw new InvalidOperationException($"AuditEvent {h.Rid} is indexed but missing from its chain.")
                : new StoredResource("AuditEvent", doc.Id, 1, new DateTimeOffset(doc.Recorded, TimeSpan.Zero), false, doc.Json, doc.Ts);
        })).ConfigureAwait(false);
        return new SearchPage(loaded, ordered.Count, snapshot);
    }

    private async Task<List<AuditPostingDoc>> CandidatesAsync(SearchQuery query, List<ChainHeadDoc> heads, CancellationToken ct)
    {
        var byReference = query.Clauses.FirstOrDefault(c => !c.Negate && c.Type == SearchParamType.Reference && AuditKeys.Posted.Contains(c.Parameter)
            && c.AnyOf.Count > 0 && c.AnyOf.All(v => v.Value is not null));
        IEnumerable<string> partitions;
        if (byReference is not null)
        {
            partitions = byReference.AnyOf.Select(v => AuditKeys.Posting(byReference.Parameter, v.Value!)).Distinct(StringComparer.Ordinal);
        }
        else
        {
            if (heads.Count == 0)
                return [];
            var (low, high) = DateBounds(query);
            var from = CosmosTime.Instant(Math.Max(heads.Min(h => h.First), low)).UtcDateTime.Date;
            var to = CosmosTime.Instant(Math.Min(heads.Max(h => h.Last), high)).UtcDateTime.Date;
            var days = new List<string>();
            for (var day = from; day <= to; day = day.AddDays(1))
                days.Add(AuditKeys.Day(new DateTimeOffset(day, TimeSpan.Zero)));
            partitions = days;
        }
        var found = await Task.WhenAll(partitions.Select(pk => CosmosContainers.QueryPartitionAsync<AuditPostingDoc>(_audit, pk,
            "SELECT * FROM c WHERE c.pk = @pk", [], ct))).ConfigureAwait(false);
        return [.. found.SelectMany(f => f)];
    }

    /// <summary>The record-time range (µs) every match lies in, from non-negated date / _lastUpdated clauses.</summary>
    private static (long Low, long High) DateBounds(SearchQuery query)
    {
        long low = long.MinValue, high = long.MaxValue;
        foreach (var clause in query.Clauses.Where(c => !c.Negate && c.Parameter is "date" or "_lastUpdated" && c.AnyOf.Count > 0))
        {
            if (clause.AnyOf.All(v => v.Prefix is DatePrefix.Eq or DatePrefix.Ge or DatePrefix.Gt))
                low = Math.Max(low, clause.AnyOf.Min(v => CosmosTime.Micros(v.Low)));
            if (clause.AnyOf.All(v => v.Prefix is DatePrefix.Eq or DatePrefix.Le or DatePrefix.Lt))
                high = Math.Min(high, clause.AnyOf.Max(v => CosmosTime.Micros(v.High)));
        }
        return (low, high);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _loop.GetAwaiter().GetResult();
    }
}
