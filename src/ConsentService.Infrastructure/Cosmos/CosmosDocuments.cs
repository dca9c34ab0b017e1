using System.Globalization;
using System.Text.Json.Serialization;
using ConsentService.Application.Ports;

namespace ConsentService.Infrastructure.Cosmos;

/// <summary>One search index entry as stored inside a version document (short names: it is repeated a lot).</summary>
/// <remarks>Date bounds are UTC ticks written as strings: JSON numbers in Cosmos DB are doubles (exact to 2^53),
/// and ticks of far dates exceed that. Filters on them run in memory, never in a query.</remarks>
internal sealed record IndexEntryDoc(
    string P, SearchParamType T, string? S, string? V,
    [property: JsonNumberHandling(JsonNumberHandling.WriteAsString | JsonNumberHandling.AllowReadingFromString)] long? L,
    [property: JsonNumberHandling(JsonNumberHandling.WriteAsString | JsonNumberHandling.AllowReadingFromString)] long? H)
{
    public static IndexEntryDoc From(SearchIndexEntry e) => new(e.Parameter, e.Type, e.System, e.Value, e.Low?.UtcTicks, e.High?.UtcTicks);

    public SearchIndexEntry ToEntry() => new(P, T, S, V, L is { } low ? new DateTimeOffset(low, TimeSpan.Zero) : null, H is { } high ? new DateTimeOffset(high, TimeSpan.Zero) : null);
}

/// <summary>Instants in documents: microseconds since the Unix epoch, exact as a JSON double until the year 2255
/// and at the precision the store stamps into <c>meta.lastUpdated</c>.</summary>
internal static class CosmosTime
{
    public static long Micros(DateTimeOffset instant) => (instant.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMicrosecond;

    public static DateTimeOffset Instant(long micros) => DateTimeOffset.UnixEpoch.AddTicks(micros * TimeSpan.TicksPerMicrosecond);
}

/// <summary>
/// An immutable version (<c>kind = "ver"</c>, id <c>v|{id}|{version}</c>) or the current pointer of a resource
/// (<c>kind = "ptr"</c>, id <c>p|{id}</c>, a full copy of the current version). Both live in the resource's
/// bucket partition <c>r|{type}|{bucket}</c>. Replacing the pointer (If-Match) is the commit point of a write.
/// A version written with an AuditEvent carries it (<see cref="Ae"/>, never copied into the pointer): once the
/// pointer reaches the version, the record is put on a chain by the writer or, if it died, by the recovery sweep.
/// </summary>
internal sealed record ResourceDoc(
    string Id, string Pk, string Kind, string Type, string Rid, int V, long Seq, long Ts, bool Del,
    string Json, string[] Keys, IndexEntryDoc[] E, PendingAuditDoc? Ae = null)
{
    public StoredResource ToStored() => new(Type, Rid, V, CosmosTime.Instant(Ts), Del, Json, Seq);
}

/// <summary>A version's summary for scans (no JSON).</summary>
internal sealed record VersionHead(string Rid, int V, long Seq, long Ts, bool Del, IndexEntryDoc[] E)
{
    /// <summary>The whole version when the head came from a document that carried it (a pointer).</summary>
    [JsonIgnore]
    public StoredResource? Loaded { get; init; }
}

/// <summary>"Version <see cref="V"/> of <see cref="Rid"/> (sequence <see cref="Seq"/>) has an entry with this value",
/// in the partition <c>x|{type}|{param}|{value}</c> (reference: the id part), so a search by patient is one partition.</summary>
internal sealed record PostingDoc(string Id, string Pk, string Kind, string Rid, int V, long Seq);

/// <summary>Who holds a unique key (<c>u|{type}|{key}</c>, id <c>u</c>): valid while that resource's current
/// version lists the key, or while the claiming write (<see cref="Seq"/>) may still commit (its lease).</summary>
internal sealed record UniqueKeyDoc(string Id, string Pk, string Rid, long Seq, long At);

/// <summary>A write between its sequence number and its end (committed or cleaned up).</summary>
internal sealed record WriteIntent(long Seq, string Type, string Rid, int V, long At);

/// <summary>The store-wide sequence (<c>pk = id = "sequence"</c>): last number handed out, the last version
/// timestamp (so timestamps rise with the sequence), the first timestamp, and the writes still in flight.</summary>
internal sealed record SequenceDoc(string Id, string Pk, long Value, long LastMicros, long FirstMicros, Dictionary<string, WriteIntent> Pending);

/// <summary>Sequence number with its version timestamp, in the month partition <c>t|yyyyMM</c>: "as of instant" lookups.</summary>
internal sealed record TimeMarkDoc(string Id, string Pk, long Seq, long Ts);

/// <summary>A conditional-create lock (<c>c|{type}|{hash of the criteria}</c>, id <c>lock</c>).</summary>
internal sealed record CriteriaLockDoc(string Id, string Pk, long At);

internal static class CosmosKeys
{
    public const int Buckets = 8;
    public const string SequenceId = "sequence";

    public static string Bucket(string type, string id) => $"r|{type}|{BucketOf(id)}";

    public static IEnumerable<string> AllBuckets(string type) => Enumerable.Range(0, Buckets).Select(b => $"r|{type}|{b}");

    public static string PointerId(string id) => "p|" + id;

    public static string VersionId(string id, int version) => $"v|{id}|{version.ToString("D10", CultureInfo.InvariantCulture)}";

    public static string UniqueKey(string type, string key) => $"u|{type}|{key}";

    public static string TimeMarks(long micros) => "t|" + CosmosTime.Instant(micros).ToString("yyyyMM", CultureInfo.InvariantCulture);

    /// <summary>The posting partition of an entry, or null when the entry cannot be looked up by equality.</summary>
    public static string? Posting(string type, string param, SearchParamType kind, string? value) =>
        value is null || kind is not (SearchParamType.Token or SearchParamType.Reference)
            ? null
            : $"x|{type}|{param}|{(kind == SearchParamType.Reference ? IndexValues.SplitReference(value).Id : value)}";

    /// <summary>FNV-1a: stable across processes and versions (string.GetHashCode is not).</summary>
    private static int BucketOf(string id)
    {
        var hash = 2166136261u;
        foreach (var c in id)
        {
            hash ^= c;
            hash *= 16777619u;
        }
        return (int)(hash % Buckets);
    }
}
