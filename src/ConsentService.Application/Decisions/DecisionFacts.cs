using System.Collections.Concurrent;
using ConsentService.Application.Observability;
using ConsentService.Application.Ports;
using ConsentService.Domain.Fhir;
using ConsentService.Domain.Consents;
using ConsentService.Domain.Studies;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using SearchParamType = ConsentService.Application.Ports.SearchParamType;

namespace ConsentService.Application.Decisions;

/// <summary>A registered study as the engine sees it: the stored version its facts were read from, and the facts.</summary>
public sealed record LoadedStudy(string Id, int VersionId, StudyFacts Facts);

/// <summary>
/// Loads what a decision rests on through the store: the study version current at the decision's snapshot and
/// the patient's Consent versions current then, compiled. Compiled consents and extracted study facts are cached
/// by (id, version): a version never changes, so that cache can never be stale.
/// Current decisions (no "as of") also keep, per study reference and per patient, what was current, while the
/// store's <see cref="WriteStamps"/> show no write to anything it rests on (the study; the patient's keys and each
/// of its Consents): a write stamps its keys before it returns, so a decision after it never uses the older copy.
/// A store without stamps (several replicas) is asked which versions are current on every decision.
/// </summary>
public sealed class DecisionFacts(IResourceStore store)
{
    private const int CacheLimit = 200_000;
    private const int CurrentLimit = 100_000;
    private readonly ConcurrentDictionary<(string Id, int Version), CompiledConsent> _consents = new();
    private readonly ConcurrentDictionary<(string Id, int Version), StudyFacts> _studies = new();
    private readonly ConcurrentDictionary<string, CurrentStudy> _currentStudies = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CurrentConsents> _currentConsents = new(StringComparer.Ordinal);

    private sealed record CurrentStudy(long Stamp, LoadedStudy Study, string Key);

    private sealed record CurrentConsents(long Stamp, IReadOnlyList<CompiledConsent> Consents, string[] Keys);
    /// <summary>The store sequence a decision reads at: now (null) or the last commit at or before <paramref name="at"/>.</summary>
    public async Task<long?> SnapshotAsync(DateTimeOffset? at, CancellationToken ct) =>
        at is { } instant ? await store.SequenceAtAsync(instant, ct).ConfigureAwait(false) : null;

    /// <summary>The newest commit: the snapshot a cohort reads at, so studies and consents come from one state.</summary>
    public async Task<long> CurrentSnapshotAsync(CancellationToken ct) => await store.CurrentSequenceAsync(ct).ConfigureAwait(false);

    /// <summary>Every study matching <paramref name="query"/> with its facts, streamed in chunks of
    /// <paramref name="chunk"/>, the facts of each chunk extracted on all cores (reading the stored JSON is most of
    /// the work). Facts are not cached here: a cohort touches each study once.</summary>
    public async IAsyncEnumerable<IReadOnlyList<LoadedStudy>> StreamStudiesAsync(SearchQuery query, int chunk,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var stored = new List<StoredResource>(chunk);
        await foreach (var resource in store.StreamAsync(query, ct).ConfigureAwait(false))
        {
            stored.Add(resource);
            if (stored.Count == chunk)
            {
                yield return Load(stored);
                stored.Clear();
            }
        }
        if (stored.Count > 0)
        {
            yield return Load(stored);
        }

        static LoadedStudy[] Load(List<StoredResource> stored)
        {
            var loaded = new LoadedStudy[stored.Count];
            Parallel.For(0, stored.Count, i => loaded[i] = new LoadedStudy(stored[i].Id, stored[i].VersionId, Extract(stored[i])));
            return loaded;
        }
    }

    // Facts straight from the stored JSON, without Firely (issue 8: no Firely parsing on decision paths; a cohort
    // reads every matching study's JSON, and the Firely parse was most of that work).
    private static StudyFacts Extract(StoredResource stored) => StudyFactsExtractor.FromJson(stored.Json, stored.Id);

    /// <summary>The study a reference names, current at the snapshot (now when null); null when none is registered.</summary>
    public async Task<LoadedStudy?> StudyAsync(StudyReference reference, long? snapshot, CancellationToken ct)
    {
        if (snapshot is not null || store.Changes is not { } changes)
        {
            return await LoadStudyAsync(reference, snapshot, ct).ConfigureAwait(false);
        }
        var key = reference.ImagingStudyId is { } id ? "id:" + id : "uid:" + reference.Uid;
        if (_currentStudies.TryGetValue(key, out var cached) && changes.IsCurrent(cached.Stamp, cached.Key))
        {
            ConsentTelemetry.RecordCache(hit: true);
            return cached.Study;
        }
        var stamp = changes.Now();
        var loaded = await LoadStudyAsync(reference, snapshot: null, ct).ConfigureAwait(false);
        if (loaded is not null) // an unknown study is not remembered: registering it needs no stamp to be seen
        {
            Bound(_currentStudies);
            _currentStudies[key] = new CurrentStudy(stamp, loaded, WriteStamps.ResourceKey("ImagingStudy", loaded.Id));
        }
        return loaded;
    }

    private async Task<LoadedStudy?> LoadStudyAsync(StudyReference reference, long? snapshot, CancellationToken ct)
    {
        StoredResource? stored;
        if (reference.ImagingStudyId is { } id)
        {
            stored = snapshot is { } s
                ? await store.ReadAsOfAsync("ImagingStudy", id, s, ct).ConfigureAwait(false)
                : await store.ReadAsync("ImagingStudy", id, ct).ConfigureAwait(false);
        }
        else if (snapshot is null)
        {
            stored = await store.FindByUniqueKeyAsync("ImagingStudy", reference.Uid!, ct).ConfigureAwait(false);
        }
        else
        {
            var byUid = new SearchQuery("ImagingStudy",
                [new SearchClause("identifier", SearchParamType.Token, [new SearchValue(System: StudyUidKey.DicomUidSystem, Value: reference.Uid)])],
                [], Count: 2, Snapshot: snapshot);
            var page = await store.SearchAsync(byUid, ct).ConfigureAwait(false);
            stored = page.Resources.Count == 1 ? page.Resources[0] : null;
        }
        if (stored is null || stored.IsDeleted)
        {
            return null;
        }
        var hit = _studies.TryGetValue((stored.Id, stored.VersionId), out var facts);
        ConsentTelemetry.RecordCache(hit);
        facts ??= _studies.GetOrAdd((stored.Id, stored.VersionId), static (_, s) => Extract(s), stored);
        Trim(_studies);
        return new LoadedStudy(stored.Id, stored.VersionId, facts);
    }

    /// <summary>The Consents naming the study's patient (by literal reference or by a shared identifier) that were
    /// current at the snapshot, compiled. The engine filters them further (status, scope, periods).</summary>
    public async Task<IReadOnlyList<CompiledConsent>> ConsentsAsync(StudyFacts study, long? snapshot, CancellationToken ct)
    {
        if (snapshot is not null || store.Changes is not { } changes)
        {
            return await LoadConsentsAsync(study, snapshot, ct).ConfigureAwait(false);
        }
        var key = PatientKey(study);
        if (_currentConsents.TryGetValue(key, out var cached) && AllCurrent(changes, cached))
        {
            ConsentTelemetry.RecordCache(hit: true);
            return cached.Consents;
        }
        var stamp = changes.Now();
        var consents = await LoadConsentsAsync(study, snapshot: null, ct).ConfigureAwait(false);
        var keys = new List<string>(consents.Count + study.PatientIdentifierKeys.Length + 1);
        if (study.PatientReference is { } patient)
        {
            keys.Add(WriteStamps.PatientReferenceKey(patient));
        }
        foreach (var identifier in study.PatientIdentifierKeys)
        {
            keys.Add(WriteStamps.PatientIdentifierKey(identifier[(identifier.IndexOf('|', StringComparison.Ordinal) + 1)..]));
        }
        foreach (var consent in consents)
        {
            keys.Add(WriteStamps.ResourceKey("Consent", consent.Id));
        }
        Bound(_currentConsents);
        _currentConsents[key] = new CurrentConsents(stamp, consents, [.. keys]);
        return consents;
    }

    /// <summary>The patient as a study names it: the key under which a request's or the cache's consents are kept.</summary>
    public static string PatientKey(StudyFacts facts) =>
        facts.PatientReference + "#" + string.Join(",", facts.PatientIdentifierKeys);

    private static bool AllCurrent(WriteStamps changes, CurrentConsents cached)
    {
        foreach (var key in cached.Keys)
        {
            if (!changes.IsCurrent(cached.Stamp, key))
            {
                return false;
            }
        }
        return true;
    }

    private static void Bound<TValue>(ConcurrentDictionary<string, TValue> cache)
    {
        if (cache.Count >= CurrentLimit)
        {
            cache.Clear();
        }
    }

    private async Task<IReadOnlyList<CompiledConsent>> LoadConsentsAsync(StudyFacts study, long? snapshot, CancellationToken ct)
    {
        var found = new Dictionary<string, StoredResource>(StringComparer.Ordinal);
        if (study.PatientReference is { } patient)
        {
            await CollectAsync(new SearchClause("patient", SearchParamType.Reference, [new SearchValue(Value: patient)]), snapshot, found, ct).ConfigureAwait(false);
        }
        if (study.PatientIdentifierKeys.Length > 0)
        {
            var values = study.PatientIdentifierKeys.Select(key =>
            {
                var bar = key.IndexOf('|');
                return new SearchValue(System: key[..bar], Value: key[(bar + 1)..]);
            }).ToList();
            await CollectAsync(new SearchClause("patient", SearchParamType.Token, values), snapshot, found, ct).ConfigureAwait(false);
        }
        var compiled = new List<CompiledConsent>(found.Count);
        foreach (var stored in found.Values)
        {
            ConsentTelemetry.RecordCache(_consents.ContainsKey((stored.Id, stored.VersionId)));
            compiled.Add(_consents.GetOrAdd((stored.Id, stored.VersionId), static (_, s) =>
                ConsentCompiler.Compile((Consent)Resources.StoredJson.Parse(s.Json), s.Id, s.VersionId.ToString(System.Globalization.CultureInfo.InvariantCulture), s.LastUpdated), stored));
        }
        Trim(_consents);
        return compiled;
    }

    private async System.Threading.Tasks.Task CollectAsync(SearchClause clause, long? snapshot, Dictionary<string, StoredResource> found, CancellationToken ct)
    {
        // One lean indexed read (no total, no paging) of the patient's current Consent versions.
        await foreach (var resource in store.StreamAsync(new SearchQuery("Consent", [clause], [], Count: 0, Snapshot: snapshot), ct).ConfigureAwait(false))
        {
            found.TryAdd(resource.Id, resource);
        }
    }

    // A bound on memory, not a freshness rule: entries are immutable versions, so dropping them only costs a recompile.
    private static void Trim<TValue>(ConcurrentDictionary<(string, int), TValue> cache)
    {
        if (cache.Count > CacheLimit)
        {
            cache.Clear();
        }
    }
}
