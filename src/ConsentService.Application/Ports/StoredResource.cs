namespace ConsentService.Application.Ports;

/// <summary>
/// One immutable version of a resource as the store holds it. A delete is a version too
/// (<see cref="IsDeleted"/> true, <see cref="Json"/> empty).
/// </summary>
/// <param name="Sequence">Store-wide, strictly increasing commit sequence of this version; 
/// history, search snapshots and "as of" reads are expressed in it.</param>
public sealed record StoredResource(
    string ResourceType,
    string Id,
    int VersionId,
    DateTimeOffset LastUpdated,
    bool IsDeleted,
    string Json,
    long Sequence);

/// <summary>A value extracted from a resource version at write time for one search parameter.</summary>
/// <remarks>
/// Token: <see cref="System"/> (may be null) and <see cref="Value"/> (the code / identifier value).
/// Reference: <see cref="Value"/> is the literal reference as "Type/id" (relative), <see cref="System"/> null.
/// A reference given only by identifier is indexed as a Token entry on the same parameter name with the
/// identifier's system and value (so <c>patient:identifier=sys|val</c> can be served).
/// Date: <see cref="Low"/> and <see cref="High"/> are the inclusive bounds of the value's implicit range
/// (a date 2020-03 covers 2020-03-01T00:00Z .. 2020-03-31T23:59:59.9999999Z; an open end is Min/MaxValue).
/// String: <see cref="Value"/> normalised (lower case, no diacritics).
/// </remarks>
public sealed record SearchIndexEntry(
    string Parameter,
    SearchParamType Type,
    string? System,
    string? Value,
    DateTimeOffset? Low = null,
    DateTimeOffset? High = null);

public enum SearchParamType { Token, Reference, Date, String }

/// <summary>A new version to store. The caller has validated and serialised the resource, with
/// meta.versionId / meta.lastUpdated left for the store to stamp (see <see cref="IResourceStore"/>).</summary>
/// <param name="UniqueKeys">Keys that at most one current (non-deleted) resource of this type may hold,
/// e.g. the DICOM Study Instance UID of an ImagingStudy. A clash is a <see cref="ResourceConflictException"/>.</param>
/// <param name="IfMatchVersion">When set, the write succeeds only if the current version is exactly this one
/// (optimistic concurrency); otherwise <see cref="PreconditionFailedException"/>.</param>
public sealed record ResourceWrite(
    string ResourceType,
    string Id,
    string Json,
    IReadOnlyList<SearchIndexEntry> Index,
    IReadOnlyList<string> UniqueKeys,
    int? IfMatchVersion = null)
{
    /// <summary>When set, the store calls it with the version it writes (and the version that write supersedes)
    /// and appends the returned AuditEvent to the audit trail IN THE SAME TRANSACTION: the version and its
    /// AuditEvent are committed together or not at all. Not called when nothing is written.</summary>
    public WriteAudit? Audit { get; init; }
}

/// <summary>Builds the AuditEvent of a resource write once the store knows the version it writes.</summary>
/// <param name="written">The new version (a delete version for a delete).</param>
/// <param name="previous">The version it supersedes (for a delete: the version deleted), null for a create.</param>
public delegate AuditRecord WriteAudit(StoredResource written, StoredResource? previous);
