using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ConsentService.Application;
using ConsentService.Application.Ports;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Logging;

namespace ConsentService.Infrastructure.Cosmos;

/// <summary>
/// <see cref="IResourceStore"/> on Azure Cosmos DB (SQL API), correct without transactional batch and without
/// cross-partition queries. A write: sequence number + intent, immutable version document, index postings,
/// unique-key claims, then the commit point: the resource's pointer document replaced with If-Match (created,
/// for a new resource). A writer that loses a race cleans up what it wrote before it ends its intent; one that
/// dies is cleaned up by the recovery sweep once its lease has passed. See docs/storage.md ("Cosmos DB").
/// </summary>
public sealed class CosmosResourceStore : IResourceStore, IAsyncDisposable, IDisposable
{
    private const string VersionColumns = "c.rid, c.v, c.seq, c.ts, c.del, c.e";
    private readonly CosmosContainers _containers;
    private readonly Container _resources;
    private readonly CosmosSequence _sequence;
    private readonly TimeProvider _time;
    private readonly ILogger? _logger;
    private readonly bool _ownsContainers;
    private int _disposed;

    public CosmosResourceStore(CosmosContainers containers, CosmosOptions options, ILogger<CosmosResourceStore>? logger = null, TimeProvider? time = null, bool ownsContainers = true)
    {
        _containers = containers;
        _resources = containers.Resources;
        _time = time ?? TimeProvider.System;
        _sequence = new CosmosSequence(_resources, _time, options.IntentLease);
        AuditLog = new CosmosAuditLog(containers, options, _time);
        _logger = logger;
        _ownsContainers = ownsContainers;
    }

    /// <summary>Connects, creates the database and containers when missing, and resolves writes left by dead writers.</summary>
    public static async Task<CosmosResourceStore> OpenAsync(CosmosOptions options, ILogger<CosmosResourceStore>? logger = null, TimeProvider? time = null, CancellationToken ct = default) =>
        await OpenAsync(await CosmosContainers.OpenAsync(options, ct).ConfigureAwait(false), options, logger, time, ct).ConfigureAwait(false);

    /// <summary>Ensures the sequence document and runs the recovery sweep on opened containers (the store disposes them).</summary>
    public static async Task<CosmosResourceStore> OpenAsync(CosmosContainers containers, CosmosOptions options, ILogger<CosmosResourceStore>? logger = null, TimeProvider? time = null, CancellationToken ct = default)
    {
        var store = new CosmosResourceStore(containers, options, logger, time);
        try
        {
            await store._sequence.EnsureAsync(ct).ConfigureAwait(false);
            await store.RecoverAsync(ct).ConfigureAwait(false);
            return store;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    public CosmosContainers Containers => _containers;

    /// <summary>The audit trail of this store: resource writes put their AuditEvents on its chain.</summary>
    public CosmosAuditLog AuditLog { get; }

    /// <summary>Test hook: called at named steps of a write ("version-written"); throwing
    /// <see cref="SimulatedCrashException"/> there stops the write like a dead process (no cleanup).</summary>
    internal Func<string, Task>? StepHook { get; set; }

    // ---- writes ----

    public async Task<StoredResource> CreateAsync(ResourceWrite write, CancellationToken ct) =>
        (await WriteAsync(write.ResourceType, write.Id, write, WriteMode.Create, write.IfMatchVersion, write.Audit, ct).ConfigureAwait(false))!.Value.Resource;

    public async Task<(StoredResource Resource, bool Created)> UpsertAsync(ResourceWrite write, CancellationToken ct) =>
        (await WriteAsync(write.ResourceType, write.Id, write, WriteMode.Upsert, write.IfMatchVersion, write.Audit, ct).ConfigureAwait(false))!.Value;

    public async Task<StoredResource?> DeleteAsync(string resourceType, string id, int? ifMatchVersion, CancellationToken ct, WriteAudit? audit = null)
        => (await WriteAsync(resourceType, id, null, WriteMode.Delete, ifMatchVersion, audit, ct).ConfigureAwait(false))?.Resource;

    /// <summary>Serialises conditional creates with the same criteria through a lock document (created
    /// conditionally, expired after the lease), then searches and creates under it.</summary>
    public async Task<(StoredResource Resource, bool Created)> CreateIfNoneExistAsync(ResourceWrite write, SearchQuery ifNoneExist, CancellationToken ct)
    {
        var pk = "c|" + write.ResourceType + "|" + Convert.ToHexString(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(ifNoneExist with { Snapshot = null, Offset = 0 })));
        const string lockId = "lock";
        for (var attempt = 0; ; attempt++)
        {
            var (found, _) = await FindForConditionalCreateAsync(ifNoneExist, ct).ConfigureAwait(false);
            if (found is not null)
                return (found, false);
            if (await CosmosDocumentIo.TryCreateAsync(_resources, new CriteriaLockDoc(lockId, pk, CosmosTime.Micros(_time.GetUtcNow())), pk, ct).ConfigureAwait(false))
            {
                try
                {
                    (found, _) = await FindForConditionalCreateAsync(ifNoneExist, ct).ConfigureAwait(false);
                    return found is not null ? (found, false) : (await CreateAsync(write, ct).ConfigureAwait(false), true);
                }
                finally
                {
                    await CosmosDocumentIo.DeleteAsync(_resources, lockId, pk, null, CancellationToken.None).ConfigureAwait(false);
                }
            }
            var (held, etag) = await CosmosDocumentIo.ReadAsync<CriteriaLockDoc>(_resources, lockId, pk, ct).ConfigureAwait(false);
            if (held is not null && _sequence.Expired(held.At))
                await CosmosDocumentIo.DeleteAsync(_resources, lockId, pk, etag, ct).ConfigureAwait(false); // its holder died
            else
                await CosmosDocumentIo.BackoffAsync(attempt, ct).ConfigureAwait(false);
        }
    }

    private async Task<(StoredResource? Found, int Count)> FindForConditionalCreateAsync(SearchQuery criteria, CancellationToken ct)
    {
        var page = await SearchAsync(criteria with { Count = 2, Offset = 0, Snapshot = null, SummaryCount = false }, ct).ConfigureAwait(false);
        return page.Resources.Count switch
        {
            0 => (null, 0),
            1 => (page.Resources[0], 1),
            _ => throw new PreconditionFailedException("The conditional create criteria match more than one resource."),
        };
    }

    private enum WriteMode { Create, Upsert, Delete }

    /// <summary>Writes to one resource from this process queue here, so they do not race each other for the
    /// same version (and the sequence) only to lose; across processes the pointer's ETag decides.</summary>
    private async Task<(StoredResource Resource, bool Created)?> WriteAsync(string type, string id, ResourceWrite? write, WriteMode mode, int? ifMatch, WriteAudit? audit, CancellationToken ct)
    {
        var gate = _gates.GetOrAdd((type, id), static _ => new Gate());
        Interlocked.Increment(ref gate.Users);
        try
        {
            await gate.Semaphore.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                return await WriteUnderGateAsync(type, id, write, mode, ifMatch, audit, ct).ConfigureAwait(false);
            }
            finally
            {
                gate.Semaphore.Release();
            }
        }
        finally
        {
            if (Interlocked.Decrement(ref gate.Users) == 0)
                _gates.TryRemove(new KeyValuePair<(string, string), Gate>((type, id), gate));
        }
    }

    private sealed class Gate
    {
        public readonly SemaphoreSlim Semaphore = new(1, 1);
        public int Users;
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Type, string Id), Gate> _gates = new();

    private async Task<(StoredResource Resource, bool Created)?> WriteUnderGateAsync(string type, string id, ResourceWrite? write, WriteMode mode, int? ifMatch, WriteAudit? audit, CancellationToken ct)
    {
        var bucket = CosmosKeys.Bucket(type, id);
        var keys = write?.UniqueKeys.Distinct(StringComparer.Ordinal).ToArray() ?? [];
        for (var attempt = 0; ; attempt++)
        {
            var (pointer, pointerETag) = await CosmosDocumentIo.ReadAsync<ResourceDoc>(_resources, CosmosKeys.PointerId(id), bucket, ct).ConfigureAwait(false);
            switch (mode)
            {
                case WriteMode.Create when pointer is not null:
                    throw new ResourceConflictException($"A {type} with this id already exists.");
                case WriteMode.Delete when pointer is null || pointer.Del:
                    return null;
            }
            if (ifMatch is { } expected && pointer?.V != expected)
                throw new PreconditionFailedException("The resource's current version does not match If-Match.");
            foreach (var key in keys)
                await EnsureKeyFreeAsync(type, key, id, ct).ConfigureAwait(false);

            var version = (pointer?.V ?? 0) + 1;
            var outcome = await TryWriteVersionAsync(type, id, bucket, version, write, audit, keys, pointer, pointerETag, ct).ConfigureAwait(false);
            if (outcome is { } committed)
                return (committed.ToStored(), pointer is null || pointer.Del);
            // lost the race for this version: another writer is writing or has written it
            if (mode == WriteMode.Create && pointer is null)
                throw new ResourceConflictException($"A {type} with this id is being created by another request.");
            if (ifMatch is not null)
                throw new PreconditionFailedException("The resource's current version does not match If-Match.");
            await CosmosDocumentIo.BackoffAsync(attempt, ct).ConfigureAwait(false);
        }
    }

    /// <summary>One attempt at writing <paramref name="version"/>: null when another writer holds that version
    /// or moved the pointer first (everything written here is removed again before the intent ends).</summary>
    private async Task<ResourceDoc?> TryWriteVersionAsync(string type, string id, string bucket, int version, ResourceWrite? write,
        WriteAudit? audit, string[] keys, ResourceDoc? pointer, string? pointerETag, CancellationToken ct)
    {
        // a version another writer is writing (or wrote and then lost): wait for it rather than burning a sequence number
        var (slot, _) = await CosmosDocumentIo.ReadAsync<ResourceDoc>(_resources, CosmosKeys.VersionId(id, version), bucket, ct).ConfigureAwait(false);
        if (slot is not null)
        {
            var intent = new WriteIntent(slot.Seq, type, id, version, slot.Ts);
            if (_sequence.Expired(intent))
                await ResolveAsync(intent, ct).ConfigureAwait(false); // left by a dead writer
            return null;
        }

        var started = Stopwatch.StartNew();
        var (seq, ticks) = await _sequence.BeginAsync(type, id, version, ct).ConfigureAwait(false);
        var lastUpdated = CosmosTime.Instant(ticks);
        var json = write is null ? "" : ResourceMetaStamp.Apply(write.Json, version, lastUpdated);
        var entries = write?.Index.Select(IndexEntryDoc.From).ToArray() ?? [];
        var doc = new ResourceDoc(CosmosKeys.VersionId(id, version), bucket, "ver", type, id, version, seq, ticks, write is null, json, keys, entries);
        var wroteVersion = false;
        var claimed = new List<string>();
        try
        {
            if (audit is not null)
                doc = doc with { Ae = PendingAuditDoc.From(audit(doc.ToStored(), pointer?.ToStored())) };
            if (!await CosmosDocumentIo.TryCreateAsync(_resources, doc, bucket, ct).ConfigureAwait(false))
            {
                await EndAsync(seq).ConfigureAwait(false);
                return null;
            }
            wroteVersion = true;
            var mark = new TimeMarkDoc(seq.ToString(System.Globalization.CultureInfo.InvariantCulture), CosmosKeys.TimeMarks(ticks), seq, ticks);
            await Task.WhenAll(Postings(doc).Select(p => (Task)_resources.CreateItemAsync(p, new PartitionKey(p.Pk), NoContent, ct))
                .Append(_resources.UpsertItemAsync(mark, new PartitionKey(mark.Pk), NoContent, ct))).ConfigureAwait(false);
            foreach (var key in keys)
            {
                await ClaimKeyAsync(type, key, id, seq, ct).ConfigureAwait(false);
                claimed.Add(key);
            }
            await Step("version-written").ConfigureAwait(false);

            // self-fencing: past half the lease the sweep may soon treat this write as dead
            if (started.Elapsed > _sequence.Lease / 2)
                throw new TimeoutException("The write took too long to commit; it was abandoned.");
            var current = doc with { Id = CosmosKeys.PointerId(id), Kind = "ptr", Ae = null };
            var committed = pointer is null
                ? await CosmosDocumentIo.TryCreateAsync(_resources, current, bucket, ct).ConfigureAwait(false)
                : await CosmosDocumentIo.TryReplaceAsync(_resources, current, current.Id, bucket, pointerETag!, ct).ConfigureAwait(false);
            if (!committed)
            {
                await AbortAsync(doc, claimed, ct).ConfigureAwait(false);
                return null;
            }
        }
        catch (SimulatedCrashException)
        {
            throw;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || wroteVersion)
        {
            if (wroteVersion)
                await AbortAsync(doc, claimed, CancellationToken.None).ConfigureAwait(false);
            else
                await EndAsync(seq).ConfigureAwait(false);
            throw;
        }

        // Committed. The intent stays until the AuditEvent is on a chain: if this process dies or the audit
        // cannot be written now, the recovery sweep writes it (ResolveAsync), and no snapshot reader sees the
        // version before then.
        await Step("committed").ConfigureAwait(false);
        if (doc.Ae is { } pendingAudit)
        {
            try
            {
                await AuditLog.AppendAsync([pendingAudit.ToRecord()], CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not SimulatedCrashException)
            {
                throw new ServiceUnavailableException("The write was committed but its audit record could not be written yet; the recovery sweep will write it.", ex);
            }
        }
        foreach (var dropped in (pointer?.Keys ?? []).Except(keys, StringComparer.Ordinal))
            await ReleaseKeyAsync(type, dropped, id, null, CancellationToken.None).ConfigureAwait(false);
        await EndAsync(seq).ConfigureAwait(false);
        return doc with { Ae = null };
    }

    private Task EndAsync(long seq) => _sequence.EndAsync(seq, CancellationToken.None);

    /// <summary>Removes an uncommitted version and everything written with it, then ends its intent.</summary>
    private async Task AbortAsync(ResourceDoc doc, IEnumerable<string> claimedKeys, CancellationToken ct)
    {
        await RemoveUncommittedAsync(doc, claimedKeys, ct).ConfigureAwait(false);
        await _sequence.EndAsync(doc.Seq, ct).ConfigureAwait(false);
    }

    private async Task RemoveUncommittedAsync(ResourceDoc doc, IEnumerable<string> claimedKeys, CancellationToken ct)
    {
        foreach (var key in claimedKeys)
            await ReleaseKeyAsync(doc.Type, key, doc.Rid, doc.Seq, ct).ConfigureAwait(false);
        await Task.WhenAll(Postings(doc).Select(p => CosmosDocumentIo.DeleteAsync(_resources, p.Id, p.Pk, null, ct))).ConfigureAwait(false);
        await CosmosDocumentIo.DeleteAsync(_resources, doc.Id, doc.Pk, null, ct).ConfigureAwait(false);
    }

    private static readonly ItemRequestOptions NoContent = new() { EnableContentResponseOnWrite = false };

    private static IEnumerable<PostingDoc> Postings(ResourceDoc doc)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in doc.E)
        {
            if (CosmosKeys.Posting(doc.Type, e.P, e.T, e.V) is { } pk && seen.Add(pk))
                yield return new PostingDoc($"{doc.Rid}|{doc.V}", pk, "post", doc.Rid, doc.V, doc.Seq);
        }
    }

    private async Task Step(string name)
    {
        if (StepHook is { } hook)
            await hook(name).ConfigureAwait(false);
    }

    // ---- unique keys ----

    /// <summary>Throws <see cref="ResourceConflictException"/> when another resource holds the key (or a write
    /// that may still commit claims it for another resource).</summary>
    private async Task EnsureKeyFreeAsync(string type, string key, string id, CancellationToken ct)
    {
        var pk = CosmosKeys.UniqueKey(type, key);
        var (claim, _) = await CosmosDocumentIo.ReadAsync<UniqueKeyDoc>(_resources, "u", pk, ct).ConfigureAwait(false);
        if (claim is not null && claim.Rid != id && await ClaimIsValidAsync(type, key, claim, ct).ConfigureAwait(false))
            throw new ResourceConflictException($"A unique key of this {type} is held by another resource.");
    }

    private async Task ClaimKeyAsync(string type, string key, string id, long seq, CancellationToken ct)
    {
        var pk = CosmosKeys.UniqueKey(type, key);
        var mine = new UniqueKeyDoc("u", pk, id, seq, CosmosTime.Micros(_time.GetUtcNow()));
        for (var attempt = 0; ; attempt++)
        {
            var (claim, etag) = await CosmosDocumentIo.ReadAsync<UniqueKeyDoc>(_resources, "u", pk, ct).ConfigureAwait(false);
            if (claim is null)
            {
                if (await CosmosDocumentIo.TryCreateAsync(_resources, mine, pk, ct).ConfigureAwait(false))
                    return;
            }
            else
            {
                if (claim.Rid != id && await ClaimIsValidAsync(type, key, claim, ct).ConfigureAwait(false))
                    throw new ResourceConflictException($"A unique key of this {type} is held by another resource.");
                if (await CosmosDocumentIo.TryReplaceAsync(_resources, mine, "u", pk, etag!, ct).ConfigureAwait(false))
                    return;
            }
            await CosmosDocumentIo.BackoffAsync(attempt, ct).ConfigureAwait(false);
        }
    }

    /// <summary>A claim holds while its resource's current version lists the key, or while the claiming write has
    /// not been resolved (not yet reflected in the pointer) and its lease runs.</summary>
    private async Task<bool> ClaimIsValidAsync(string type, string key, UniqueKeyDoc claim, CancellationToken ct)
    {
        var (holder, _) = await CosmosDocumentIo.ReadAsync<ResourceDoc>(_resources, CosmosKeys.PointerId(claim.Rid), CosmosKeys.Bucket(type, claim.Rid), ct).ConfigureAwait(false);
        if (holder is not null && !holder.Del && holder.Keys.Contains(key, StringComparer.Ordinal))
            return true;
        var pending = (holder?.Seq ?? 0) < claim.Seq;
        return pending && !_sequence.Expired(claim.At);
    }

    /// <summary>Deletes the key's claim when <paramref name="id"/> holds it (and, when given, by that write).</summary>
    private async Task ReleaseKeyAsync(string type, string key, string id, long? seq, CancellationToken ct)
    {
        var pk = CosmosKeys.UniqueKey(type, key);
        var (claim, etag) = await CosmosDocumentIo.ReadAsync<UniqueKeyDoc>(_resources, "u", pk, ct).ConfigureAwait(false);
        if (claim is not null && claim.Rid == id && (seq is null || claim.Seq == seq))
            await CosmosDocumentIo.DeleteAsync(_resources, "u", pk, etag, ct).ConfigureAwait(false);
    }

    public async Task<StoredResource?> FindByUniqueKeyAsync(string resourceType, string key, CancellationToken ct)
    {
        var (claim, _) = await CosmosDocumentIo.ReadAsync<UniqueKeyDoc>(_resources, "u", CosmosKeys.UniqueKey(resourceType, key), ct).ConfigureAwait(false);
        if (claim is null)
            return null;
        var holder = await ReadPointerAsync(resourceType, claim.Rid, ct).ConfigureAwait(false);
        return holder is { Del: false } && holder.Keys.Contains(key, StringComparer.Ordinal) ? holder.ToStored() : null;
    }

    // ---- recovery ----

    /// <summary>Resolves every intent older than the lease (its writer is dead): a committed write just ends its
    /// intent; an uncommitted one has its version, postings and key claims removed first.</summary>
    public async Task RecoverAsync(CancellationToken ct)
    {
        var (doc, _) = await _sequence.ReadAsync(ct).ConfigureAwait(false);
        foreach (var intent in doc.Pending.Values.Where(_sequence.Expired))
            await ResolveAsync(intent, ct).ConfigureAwait(false);
    }

    private async Task ResolveAsync(WriteIntent intent, CancellationToken ct)
    {
        var bucket = CosmosKeys.Bucket(intent.Type, intent.Rid);
        var (version, _) = await CosmosDocumentIo.ReadAsync<ResourceDoc>(_resources, CosmosKeys.VersionId(intent.Rid, intent.V), bucket, ct).ConfigureAwait(false);
        if (version is not null && version.Seq == intent.Seq)
        {
            var pointer = await ReadPointerAsync(intent.Type, intent.Rid, ct).ConfigureAwait(false);
            if (pointer is null || pointer.V < intent.V)
            {
                _logger?.LogWarning("Removing uncommitted {Type}/{Id} version {Version} (sequence {Seq}) left by a dead writer", intent.Type, intent.Rid, intent.V, intent.Seq);
                await RemoveUncommittedAsync(version, version.Keys, ct).ConfigureAwait(false);
            }
            else if (version.Ae is { } audit)
            {
                // committed: its AuditEvent must exist (idempotent when the writer got that far)
                _logger?.LogWarning("Writing the audit record of {Type} version {Version} (sequence {Seq}) left by a dead writer", intent.Type, intent.V, intent.Seq);
                await AuditLog.AppendAsync([audit.ToRecord()], ct).ConfigureAwait(false);
            }
        }
        await _sequence.EndAsync(intent.Seq, ct).ConfigureAwait(false);
    }

    // ---- reads ----

    private async Task<ResourceDoc?> ReadPointerAsync(string type, string id, CancellationToken ct) =>
        (await CosmosDocumentIo.ReadAsync<ResourceDoc>(_resources, CosmosKeys.PointerId(id), CosmosKeys.Bucket(type, id), ct).ConfigureAwait(false)).Doc;

    public async Task<StoredResource?> ReadAsync(string resourceType, string id, CancellationToken ct) =>
        (await ReadPointerAsync(resourceType, id, ct).ConfigureAwait(false))?.ToStored();

    public async Task<StoredResource?> ReadVersionAsync(string resourceType, string id, int versionId, CancellationToken ct)
    {
        var bucket = CosmosKeys.Bucket(resourceType, id);
        var pointerTask = ReadPointerAsync(resourceType, id, ct);
        var (version, _) = await CosmosDocumentIo.ReadAsync<ResourceDoc>(_resources, CosmosKeys.VersionId(id, versionId), bucket, ct).ConfigureAwait(false);
        var pointer = await pointerTask.ConfigureAwait(false);
        // a version above the pointer is not committed (yet, or ever)
        return version is not null && pointer is not null && versionId <= pointer.V ? version.ToStored() : null;
    }

    public async Task<StoredResource?> ReadAsOfAsync(string resourceType, string id, long sequence, CancellationToken ct)
    {
        var pointer = await ReadPointerAsync(resourceType, id, ct).ConfigureAwait(false);
        if (pointer is null || pointer.Seq <= sequence)
            return pointer?.ToStored();
        return (await VersionAtAsync(resourceType, id, sequence, ct).ConfigureAwait(false))?.ToStored();
    }

    /// <summary>The version with the highest sequence at or below <paramref name="sequence"/>, which is below the
    /// pointer's and therefore committed.</summary>
    private async Task<ResourceDoc?> VersionAtAsync(string type, string id, long sequence, CancellationToken ct)
    {
        var bucket = CosmosKeys.Bucket(type, id);
        var found = await CosmosContainers.QueryPartitionAsync<ResourceDoc>(_resources, bucket,
            "SELECT TOP 1 * FROM c WHERE c.pk = @pk AND c.kind = 'ver' AND c.rid = @rid AND c.seq <= @s ORDER BY c.seq DESC",
            [("@rid", id), ("@s", sequence)], ct).ConfigureAwait(false);
        return found.Count == 0 ? null : found[0];
    }

    public async Task<HistoryPage> HistoryAsync(string resourceType, string? id, HistoryQuery query, CancellationToken ct)
    {
        List<VersionHead> versions;
        if (id is not null)
        {
            var pointer = await ReadPointerAsync(resourceType, id, ct).ConfigureAwait(false);
            versions = pointer is null ? [] : await CosmosContainers.QueryPartitionAsync<VersionHead>(_resources, CosmosKeys.Bucket(resourceType, id),
                $"SELECT {VersionColumns} FROM c WHERE c.pk = @pk AND c.kind = 'ver' AND c.rid = @rid AND c.v <= @v",
                [("@rid", id), ("@v", pointer.V)], ct).ConfigureAwait(false);
        }
        else
        {
            var snapshot = await SnapshotAsync(ct).ConfigureAwait(false);
            versions = await ScanAsync(resourceType, snapshot, ct).ConfigureAwait(false);
        }
        if (query.Since is { } since)
            versions = [.. versions.Where(v => v.Ts >= CosmosTime.Micros(since))];
        var total = versions.Count;
        if (query.Count <= 0)
            return new HistoryPage([], total, null);
        var page = versions.Where(v => query.Before is not { } before || v.Seq < before).OrderByDescending(v => v.Seq).Take(query.Count + 1).ToList();
        long? next = null;
        if (page.Count > query.Count)
        {
            page.RemoveAt(page.Count - 1);
            next = page[^1].Seq;
        }
        return new HistoryPage(await LoadAsync(resourceType, page, ct).ConfigureAwait(false), total, next);
    }

    /// <summary>Every version of the type at or below the snapshot (all committed: see <see cref="CosmosSequence"/>),
    /// without JSON: one single-partition query per bucket.</summary>
    private async Task<List<VersionHead>> ScanAsync(string type, long snapshot, CancellationToken ct)
    {
        var buckets = await Task.WhenAll(CosmosKeys.AllBuckets(type).Select(pk => CosmosContainers.QueryPartitionAsync<VersionHead>(_resources, pk,
            $"SELECT {VersionColumns} FROM c WHERE c.pk = @pk AND c.kind = 'ver' AND c.seq <= @s", [("@s", snapshot)], ct))).ConfigureAwait(false);
        return [.. buckets.SelectMany(b => b)];
    }

    private async Task<List<StoredResource>> LoadAsync(string type, IEnumerable<VersionHead> heads, CancellationToken ct)
    {
        var loaded = await Task.WhenAll(heads.Select(async h =>
        {
            if (h.Loaded is { } known)
                return known;
            var (doc, _) = await CosmosDocumentIo.ReadAsync<ResourceDoc>(_resources, CosmosKeys.VersionId(h.Rid, h.V), CosmosKeys.Bucket(type, h.Rid), ct).ConfigureAwait(false);
            return doc?.ToStored() ?? throw new InvalidOperationException($"Version {h.V} of {type}/{h.Rid} is indexed but missing.");
        })).ConfigureAwait(false);
        return [.. loaded];
    }

    // ---- search ----

    public async Task<SearchPage> SearchAsync(SearchQuery query, CancellationToken ct)
    {
        var (snapshot, current) = await CurrentMatchesAsync(query, ct).ConfigureAwait(false);
        var matches = CosmosSearch.Order(current, query.Sort);
        var take = query.SummaryCount ? 0 : query.Count;
        var page = take <= 0 ? [] : matches.Skip(Math.Max(0, query.Offset)).Take(take).ToList();
        return new SearchPage(await LoadAsync(query.ResourceType, page, ct).ConfigureAwait(false), matches.Count, snapshot);
    }

    public async IAsyncEnumerable<StoredResource> StreamAsync(SearchQuery query, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var (_, current) = await CurrentMatchesAsync(query, ct).ConfigureAwait(false);
        foreach (var chunk in current.OrderBy(h => h.Rid, StringComparer.Ordinal).Chunk(100))
        {
            foreach (var resource in await LoadAsync(query.ResourceType, chunk, ct).ConfigureAwait(false))
            {
                yield return resource;
            }
        }
    }

    /// <summary>The versions current at the query's snapshot that match it (deletes excluded).</summary>
    private async Task<(long Snapshot, IEnumerable<VersionHead> Matches)> CurrentMatchesAsync(SearchQuery query, CancellationToken ct)
    {
        var now = await SnapshotAsync(ct).ConfigureAwait(false);
        var snapshot = query.Snapshot is { } requested ? Math.Clamp(requested, 0, now) : now;
        var current = CosmosSearch.PostingClause(query) is { } clause
            ? await CurrentByPostingsAsync(query.ResourceType, clause, snapshot, ct).ConfigureAwait(false)
            : CurrentOf(await ScanAsync(query.ResourceType, snapshot, ct).ConfigureAwait(false));
        return (snapshot, current.Where(h => !h.Del && CosmosSearch.Matches(query, h)).ToList());
    }

    /// <summary>
    /// Cosmos DB has no transaction across partitions (and the versions, pointers, postings and keys of one
    /// resource already span several), so a transaction of more than one operation cannot be made atomic here:
    /// it is refused before anything is written. A single operation is atomic on its own.
    /// </summary>
    public async Task<IReadOnlyList<TransactionOutcome>> TransactAsync(IReadOnlyList<TransactionOperation> operations, CancellationToken ct)
    {
        if (operations.Count > 1)
        {
            throw new UnprocessableContentException([new ContentIssue("Bundle.type",
                "A transaction of several entries cannot be made atomic on the Cosmos DB store; send a batch bundle (each entry on its own) instead.")]);
        }
        if (operations.Count == 0)
        {
            return [];
        }
        return [operations[0] switch
        {
            // Alone in its transaction, no other entry depends on how the condition resolves.
            CreateOperation { IfNoneExist: { } condition } c => Outcome(await CreateIfNoneExistAsync(c.Write, condition, ct).ConfigureAwait(false)),
            CreateOperation c => new TransactionOutcome(await CreateAsync(c.Write, ct).ConfigureAwait(false), true),
            UpsertOperation u => Outcome(await UpsertAsync(u.Write, ct).ConfigureAwait(false)),
            DeleteOperation d => new TransactionOutcome(await DeleteAsync(d.ResourceType, d.Id, d.IfMatchVersion, ct, d.Audit).ConfigureAwait(false), false),
            _ => throw new ArgumentException($"Unknown transaction operation {operations[0].GetType().Name}."),
        }];
    }

    private static TransactionOutcome Outcome((StoredResource Resource, bool Created) result) => new(result.Resource, result.Created);

    /// <summary>Per resource, the version with the highest sequence.</summary>
    private static IEnumerable<VersionHead> CurrentOf(IEnumerable<VersionHead> versions) =>
        versions.GroupBy(v => v.Rid, StringComparer.Ordinal).Select(g => g.MaxBy(v => v.Seq)!);

    /// <summary>Resources with a posting for one of the clause's values at or below the snapshot, each at its
    /// version current at the snapshot (the pointer when it is not newer, else the versions' partition).</summary>
    private async Task<List<VersionHead>> CurrentByPostingsAsync(string type, SearchClause clause, long snapshot, CancellationToken ct)
    {
        var partitions = clause.AnyOf.Select(v => CosmosKeys.Posting(type, clause.Parameter, clause.Type, v.Value)!).Distinct(StringComparer.Ordinal);
        var postings = await Task.WhenAll(partitions.Select(pk => CosmosContainers.QueryPartitionAsync<PostingDoc>(_resources, pk,
            "SELECT * FROM c WHERE c.pk = @pk AND c.seq <= @s", [("@s", snapshot)], ct))).ConfigureAwait(false);
        var ids = postings.SelectMany(p => p).Select(p => p.Rid).Distinct(StringComparer.Ordinal);
        var heads = await Task.WhenAll(ids.Select(async id =>
        {
            var pointer = await ReadPointerAsync(type, id, ct).ConfigureAwait(false);
            var at = pointer is not null && pointer.Seq <= snapshot ? pointer : await VersionAtAsync(type, id, snapshot, ct).ConfigureAwait(false);
            return at is null ? null : new VersionHead(at.Rid, at.V, at.Seq, at.Ts, at.Del, at.E) { Loaded = at.ToStored() };
        })).ConfigureAwait(false);
        return [.. heads.OfType<VersionHead>()];
    }

    // ---- sequence ----

    private Task<long> SnapshotAsync(CancellationToken ct) => _sequence.SnapshotAsync(ResolveAsync, ct);

    public Task<long> CurrentSequenceAsync(CancellationToken ct) => SnapshotAsync(ct);

    public async Task<long> SequenceAtAsync(DateTimeOffset instant, CancellationToken ct)
    {
        var snapshot = await SnapshotAsync(ct).ConfigureAwait(false);
        var (doc, _) = await _sequence.ReadAsync(ct).ConfigureAwait(false);
        var at = CosmosTime.Micros(instant);
        if (doc.FirstMicros == 0 || at < doc.FirstMicros)
            return 0;
        var first = CosmosTime.Instant(doc.FirstMicros);
        var firstMonth = new DateTimeOffset(first.Year, first.Month, 1, 0, 0, 0, TimeSpan.Zero);
        var month = CosmosTime.Instant(Math.Min(at, doc.LastMicros));
        for (month = new DateTimeOffset(month.Year, month.Month, 1, 0, 0, 0, TimeSpan.Zero); month >= firstMonth; month = month.AddMonths(-1))
        {
            var found = await CosmosContainers.QueryPartitionAsync<long?>(_resources, CosmosKeys.TimeMarks(CosmosTime.Micros(month)),
                "SELECT VALUE MAX(c.seq) FROM c WHERE c.pk = @pk AND c.ts <= @t AND c.seq <= @s",
                [("@t", at), ("@s", snapshot)], ct).ConfigureAwait(false);
            if (found.FirstOrDefault(v => v is not null) is { } seq)
                return seq;
        }
        return 0;
    }

    /// <summary>None: other replicas write to the same containers, so no process sees every write.</summary>
    public WriteStamps? Changes => null;

    public async Task<bool> PingAsync(CancellationToken ct)
    {
        try
        {
            await _sequence.ReadAsync(ct).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is CosmosException or HttpRequestException or TimeoutException)
        {
            return false;
        }
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        AuditLog.Dispose();
        if (_ownsContainers)
            _containers.Dispose();
    }
}

/// <summary>Thrown by a test's step hook to stop a write as if its process had died.</summary>
internal sealed class SimulatedCrashException : Exception
{
    public SimulatedCrashException() : base("Simulated crash.") { }
}
