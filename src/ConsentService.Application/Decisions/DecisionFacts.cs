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

/// <summary>A registered study as the engine sees it, with the stored version it was read from.</summary>
public sealed record LoadedStudy(StoredResource Stored, StudyFacts Facts);

/// <summary>
/// Loads what a decision rests on through the store: the study version current at the decision's snapshot and
/// the patient's Consent versions current then, compiled. Compiled consents and extracted study facts are cached
/// by (id, version): a version never changes, so the cache can never be stale; which version is current is asked
/// of the store on every decision, so a write that has returned is seen by the next decision.
/// </summary>
public sealed class DecisionFacts(IResourceStore store)
{
    private const int CacheLimit = 200_000;
    private static readonly FhirJsonDeserializer Stored = FhirJsonDeserializer.RECOVERABLE;
    private readonly ConcurrentDictionary<(string Id, int Version), CompiledConsent> _consents = new();
    private readonly ConcurrentDictionary<(string Id, int Version), StudyFacts> _studies = new();

    /// <summary>The store sequence a decision reads at: now (null) or the last commit at or before <paramref name="at"/>.</summary>
    public async Task<long?> SnapshotAsync(DateTimeOffset? at, CancellationToken ct) =>
        at is { } instant ? await store.SequenceAtAsync(instant, ct).ConfigureAwait(false) : null;

    /// <summary>The newest commit: the snapshot a cohort reads at, so studies and consents come from one state.</summary>
    public async Task<long> CurrentSnapshotAsync(CancellationToken ct) => await store.CurrentSequenceAsync(ct).ConfigureAwait(false);

    /// <summary>Every study matching <paramref name="query"/> with its facts, streamed. Facts are not cached here:
    /// a cohort touches each study once.</summary>
    public async IAsyncEnumerable<LoadedStudy> StreamStudiesAsync(SearchQuery query, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var stored in store.StreamAsync(query, ct).ConfigureAwait(false))
        {
            yield return new LoadedStudy(stored, Extract(stored));
        }
    }

    private static StudyFacts Extract(StoredResource stored) =>
        StudyFactsExtractor.Extract((ImagingStudy)Stored.DeserializeResource(stored.Json), stored.Id);

    public async Task<LoadedStudy?> StudyAsync(StudyReference reference, long? snapshot, CancellationToken ct)
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
        return new LoadedStudy(stored, facts);
    }

    /// <summary>The Consents naming the study's patient (by literal reference or by a shared identifier) that were
    /// current at the snapshot, compiled. The engine filters them further (status, scope, periods).</summary>
    public async Task<IReadOnlyList<CompiledConsent>> ConsentsAsync(StudyFacts study, long? snapshot, CancellationToken ct)
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
                ConsentCompiler.Compile((Consent)Stored.DeserializeResource(s.Json), s.Id, s.VersionId.ToString(System.Globalization.CultureInfo.InvariantCulture), s.LastUpdated), stored));
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
