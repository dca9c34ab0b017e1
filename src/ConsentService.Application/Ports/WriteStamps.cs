namespace ConsentService.Application.Ports;

/// <summary>
/// Tells in-process caches that something they hold may have been written since they read it. A store that sees
/// every write to its data (the embedded SQLite store: one process holds the file) stamps the keys of each written
/// version here after the write has committed and before the write returns; a reader takes <see cref="Now"/>
/// before it reads the store, and its cached copy stays usable while <see cref="IsCurrent"/> holds for the keys the
/// copy rests on. A store that cannot see every write (several replicas on Cosmos DB) offers none
/// (<see cref="IResourceStore.Changes"/> is null) and its readers ask the store every time.
/// </summary>
/// <remarks>
/// Keys are hashed into a fixed table of buckets holding the stamp of their last write, so memory is bounded and a
/// collision only costs a needless reload (a stamp never goes back). Ordering: the stamp is raised after the commit
/// is visible to readers; a reader that took <see cref="Now"/> before that sees a newer bucket and reloads, and a
/// reader that took it after reads the committed data.
/// </remarks>
public sealed class WriteStamps
{
    private const int Buckets = 1 << 16;
    private readonly long[] _buckets = new long[Buckets];
    private long _clock;

    /// <summary>The stamp to keep with a copy read from the store after this call.</summary>
    public long Now() => Volatile.Read(ref _clock);

    /// <summary>Marks <paramref name="keys"/> as written now. Called after the commit that wrote them.</summary>
    public void Stamp(IEnumerable<string> keys)
    {
        foreach (var key in keys)
        {
            var stamp = Interlocked.Increment(ref _clock);
            ref var bucket = ref _buckets[Bucket(key)];
            long seen;
            while ((seen = Volatile.Read(ref bucket)) < stamp && Interlocked.CompareExchange(ref bucket, stamp, seen) != seen)
            {
            }
        }
    }

    /// <summary>Whether nothing under <paramref name="key"/> was written after <paramref name="stamp"/>.</summary>
    public bool IsCurrent(long stamp, string key) => Volatile.Read(ref _buckets[Bucket(key)]) <= stamp;

    /// <summary>FNV-1a over the UTF-16 code units: the same bucket for a key in every process and run.</summary>
    private static int Bucket(string key)
    {
        var hash = 2166136261u;
        foreach (var c in key)
        {
            hash = (hash ^ c) * 16777619u;
        }
        return (int)(hash % Buckets);
    }

    // ---- the keys a decision's cached facts rest on ----

    /// <summary>The key of one resource (any version of it).</summary>
    public static string ResourceKey(string type, string id) => type + "/" + id;

    /// <summary>The key of a patient named by literal reference ("Patient/x"): its id part. Coarser than the search
    /// (no type), so it can only over-invalidate.</summary>
    public static string PatientReferenceKey(string reference) => "patient:" + reference[(reference.LastIndexOf('/') + 1)..];

    /// <summary>The key of a patient named by an identifier: its value (the system is left out, which can only
    /// over-invalidate).</summary>
    public static string PatientIdentifierKey(string value) => "patient:" + value;

    /// <summary>The key of a business identifier value of a resource type (the system is left out, which can only
    /// over-invalidate): what a conditional create by identifier rests on.</summary>
    public static string IdentifierKey(string type, string value) => "identifier:" + type + ":" + value;

    /// <summary>The keys a written version touches: the resource itself, its identifiers and, for a Consent, the
    /// patient it names (reference and identifiers, from its index entries). A delete version has no entries: its id
    /// is enough, as every cached copy of a resource is keyed by its id too.</summary>
    public static IEnumerable<string> KeysOf(string type, string id, IReadOnlyList<SearchIndexEntry>? index)
    {
        yield return ResourceKey(type, id);
        if (index is null)
        {
            yield break;
        }
        foreach (var entry in index)
        {
            if (entry.Parameter == "identifier" && entry.Type == SearchParamType.Token && entry.Value is { Length: > 0 } identifier)
            {
                yield return IdentifierKey(type, identifier);
            }
            else if (type == "Consent" && entry.Parameter == "patient" && entry.Value is { Length: > 0 } value)
            {
                yield return entry.Type == SearchParamType.Reference ? PatientReferenceKey(value) : PatientIdentifierKey(value);
            }
        }
    }
}
