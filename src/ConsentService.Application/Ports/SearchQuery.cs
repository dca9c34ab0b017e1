namespace ConsentService.Application.Ports;

/// <summary>A parsed, validated search against the current versions of one resource type.</summary>
/// <param name="Clauses">ANDed; each clause ORs its values.</param>
/// <param name="Snapshot">Evaluate as of this store sequence (the versions current at that point), so that
/// paging stays consistent while others write. Null: now (the store reports the snapshot it used).</param>
/// <param name="Count">Page size. 0 with <paramref name="SummaryCount"/> asks for the total only.</param>
public sealed record SearchQuery(
    string ResourceType,
    IReadOnlyList<SearchClause> Clauses,
    IReadOnlyList<SortSpec> Sort,
    int Count,
    int Offset = 0,
    long? Snapshot = null,
    bool SummaryCount = false)
{
    /// <summary>The query as the criteria of a conditional create (If-None-Exist): which resources match now, at most
    /// the two that tell one match from several. Paging, sorting, summary and snapshot parameters of the criteria
    /// would only hide matches (<c>_offset=1</c>, <c>_summary=count</c>, an old <c>_snapshot</c>), so they are dropped.</summary>
    public SearchQuery AsCriteria() => this with { Sort = [], Count = 2, Offset = 0, Snapshot = null, SummaryCount = false };
}

/// <summary>One parameter of a search. Special parameters <c>_id</c> (Token, Value = id) and
/// <c>_lastUpdated</c> (Date) address the version itself rather than index entries.</summary>
public sealed record SearchClause(string Parameter, SearchParamType Type, IReadOnlyList<SearchValue> AnyOf, bool Negate = false);

/// <summary>
/// Token: <see cref="System"/> null means any system; <see cref="SystemIsEmpty"/> true means "|code" (no system).
/// <see cref="Value"/> null means "system|" (any code in the system).
/// Reference: <see cref="Value"/> "Type/id" (or, with <see cref="MatchIdOnly"/>, a bare id matched against any type).
/// Date: <see cref="Prefix"/> with the inclusive range <see cref="Low"/>..<see cref="High"/> of the search value.
/// String: <see cref="Value"/> normalised; matches entries that start with it.
/// </summary>
public sealed record SearchValue(
    string? System = null,
    string? Value = null,
    bool SystemIsEmpty = false,
    bool MatchIdOnly = false,
    DatePrefix Prefix = DatePrefix.Eq,
    DateTimeOffset Low = default,
    DateTimeOffset High = default);

public enum DatePrefix { Eq, Ne, Gt, Lt, Ge, Le }

/// <summary>Sort by <c>_lastUpdated</c> (the version's timestamp) or a Date search parameter (its earliest Low).</summary>
public sealed record SortSpec(string Parameter, bool Descending);

/// <param name="Snapshot">The store sequence the search was evaluated at; pass it back for the next page.</param>
public sealed record SearchPage(IReadOnlyList<StoredResource> Resources, int Total, long Snapshot);

/// <summary>History, newest first. <paramref name="Before"/>: only versions with a smaller sequence (paging);
/// <paramref name="Since"/>: only versions last updated at or after it.</summary>
public sealed record HistoryQuery(int Count, long? Before = null, DateTimeOffset? Since = null);

public sealed record HistoryPage(IReadOnlyList<StoredResource> Versions, int Total, long? NextBefore);
