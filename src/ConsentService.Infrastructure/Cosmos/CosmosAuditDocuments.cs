using System.Globalization;
using System.Text.Json.Serialization;
using ConsentService.Application.Ports;

namespace ConsentService.Infrastructure.Cosmos;

/// <summary>The claim of an AuditEvent id (<c>ae|{id}</c>, id = the record id): which chain holds (or is writing)
/// the record, and when the claim was taken. Read by id = this point read, then the record's point read.</summary>
internal sealed record AuditClaimDoc(string Id, string Pk, string Chain, long At);

/// <summary>A record on its writer's chain (<c>ch|{chain}</c>, id = the record id): committed once the chain's head
/// (<see cref="ChainHeadDoc"/>) has reached <see cref="Seq"/>. <see cref="Recorded"/> is exact UTC ticks (the hash
/// covers them), <see cref="Ts"/> the same instant in µs for ordering.</summary>
internal sealed record AuditChainDoc(
    string Id, string Pk, long Seq,
    [property: JsonNumberHandling(JsonNumberHandling.WriteAsString | JsonNumberHandling.AllowReadingFromString)] long Recorded,
    long Ts, string Json, string Prev, string Hash)
{
    public AuditRecord ToRecord() => new(Id, new DateTimeOffset(Recorded, TimeSpan.Zero), Json);
}

/// <summary>The head of one chain (<c>chains</c>, id = the chain name): the last committed sequence and hash, and
/// the earliest and latest record time on it (µs), which bound the day partitions a search scans.</summary>
internal sealed record ChainHeadDoc(string Id, string Pk, long Seq, string Hash, long First, long Last);

/// <summary>"Record <see cref="Rid"/> (chain, seq) has this value", in <c>ap|{param}|{referenced id}</c> for the
/// patient, entity and agent references, and in <c>ad|{yyyyMMdd}</c> for every record (its record day). Carries
/// the record's index entries so a search filters without reading records.</summary>
internal sealed record AuditPostingDoc(string Id, string Pk, string Rid, string Chain, long Seq, long Ts, IndexEntryDoc[] E);

/// <summary>The chain heads a first search page was evaluated at (<c>snapshots</c>, id = the snapshot number),
/// so later pages see exactly the same records.</summary>
internal sealed record AuditSnapshotDoc(string Id, string Pk, Dictionary<string, long> Heads, long At);

/// <summary>The AuditEvent of a resource write, carried by the version document until the write has committed and
/// the record is on a chain (so the recovery sweep can write it for a writer that died in between).</summary>
internal sealed record PendingAuditDoc(
    string Id,
    [property: JsonNumberHandling(JsonNumberHandling.WriteAsString | JsonNumberHandling.AllowReadingFromString)] long Recorded,
    string Json, IndexEntryDoc[] E)
{
    public static PendingAuditDoc From(AuditRecord record) =>
        new(record.Id, record.Recorded.UtcTicks, record.Json, [.. record.Index.Select(IndexEntryDoc.From)]);

    public AuditRecord ToRecord() => new(Id, new DateTimeOffset(Recorded, TimeSpan.Zero), Json) { Index = [.. E.Select(e => e.ToEntry())] };
}

internal static class AuditKeys
{
    public const string Chains = "chains";
    public const string Snapshots = "snapshots";

    /// <summary>The reference parameters with a posting partition per referenced id (a search's usual first clause).</summary>
    public static readonly string[] Posted = ["patient", "entity", "agent"];

    public static string Claim(string id) => "ae|" + id;

    public static string Chain(string chain) => "ch|" + chain;

    public static string Posting(string param, string reference) => $"ap|{param}|{IndexValues.SplitReference(reference).Id}";

    public static string Day(DateTimeOffset instant) => "ad|" + instant.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
}
