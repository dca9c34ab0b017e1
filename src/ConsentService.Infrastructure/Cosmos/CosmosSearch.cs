using ConsentService.Application.Ports;

namespace ConsentService.Infrastructure.Cosmos;

/// <summary>
/// Evaluates a <see cref="SearchQuery"/> on the index entries of the versions current at a snapshot (the store
/// fetched them from one posting partition or from the type's bucket partitions). Same semantics as the SQLite
/// store's SQL (docs/storage.md, "Index on write"); the contract suite holds both to them.
/// </summary>
internal static class CosmosSearch
{
    /// <summary>The most selective clause that can be answered from posting partitions: a non-negated token with
    /// a code, or a reference (an exact id). Null: the query scans the type's bucket partitions.</summary>
    public static SearchClause? PostingClause(SearchQuery query) =>
        query.Clauses.FirstOrDefault(c => !c.Negate && c.AnyOf.Count > 0 && c.Parameter is not ("_id" or "_lastUpdated")
            && c.AnyOf.All(v => v.Value is not null && c.Type is SearchParamType.Token or SearchParamType.Reference));

    public static bool Matches(SearchQuery query, VersionHead head) => query.Clauses.All(c => Matches(c, head));

    private static bool Matches(SearchClause clause, VersionHead head)
    {
        bool any;
        switch (clause.Parameter)
        {
            case "_id":
                any = clause.AnyOf.Any(v => string.Equals(v.Value, head.Rid, StringComparison.Ordinal));
                break;
            case "_lastUpdated":
                any = clause.AnyOf.Any(v => DateMatches(v, CosmosTime.Instant(head.Ts).UtcTicks, CosmosTime.Instant(head.Ts).UtcTicks));
                break;
            default:
                any = head.E.Any(e => e.P == clause.Parameter && e.T == clause.Type && clause.AnyOf.Any(v => EntryMatches(clause.Type, v, e)));
                break;
        }
        return any != clause.Negate;
    }

    private static bool EntryMatches(SearchParamType type, SearchValue v, IndexEntryDoc e)
    {
        switch (type)
        {
            case SearchParamType.Token:
                if (v.Value is not null && !string.Equals(e.V ?? "", v.Value, StringComparison.Ordinal))
                    return false;
                if (v.SystemIsEmpty)
                    return string.IsNullOrEmpty(e.S);
                return v.System is null || string.Equals(e.S ?? "", v.System, StringComparison.Ordinal);
            case SearchParamType.Reference:
                if (v.Value is null)
                    return true;
                if (e.V is null)
                    return false;
                var entry = IndexValues.SplitReference(e.V);
                if (v.MatchIdOnly)
                    return entry.Id == v.Value;
                var wanted = IndexValues.SplitReference(v.Value);
                return entry.Id == wanted.Id && entry.Type == wanted.Type;
            case SearchParamType.Date:
                return DateMatches(v, e.L ?? DateTimeOffset.MinValue.UtcTicks, e.H ?? DateTimeOffset.MaxValue.UtcTicks);
            case SearchParamType.String:
                return e.V is not null && e.V.StartsWith(v.Value ?? "", StringComparison.Ordinal);
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown search parameter type.");
        }
    }

    /// <summary>FHIR range semantics: the resource's range [low, high] against the search range.</summary>
    private static bool DateMatches(SearchValue v, long low, long high)
    {
        long sLow = v.Low.UtcTicks, sHigh = v.High.UtcTicks;
        return v.Prefix switch
        {
            DatePrefix.Eq => low >= sLow && high <= sHigh,
            DatePrefix.Ne => !(low >= sLow && high <= sHigh),
            DatePrefix.Gt => high > sHigh,
            DatePrefix.Lt => low < sLow,
            DatePrefix.Ge => high >= sLow,
            DatePrefix.Le => low <= sHigh,
            _ => throw new ArgumentOutOfRangeException(nameof(v), v.Prefix, "Unknown date prefix."),
        };
    }

    /// <summary>The query's order: commit sequence by default; <c>_lastUpdated</c> or a date parameter's
    /// earliest low (resources without one last); id breaks ties.</summary>
    public static List<VersionHead> Order(IEnumerable<VersionHead> heads, IReadOnlyList<SortSpec> sort)
    {
        if (sort.Count == 0)
            return [.. heads.OrderBy(h => h.Seq)];
        IOrderedEnumerable<VersionHead>? ordered = null;
        foreach (var spec in sort)
        {
            Func<VersionHead, long?> key = spec.Parameter == "_lastUpdated"
                ? h => h.Ts
                : h => h.E.Where(e => e.P == spec.Parameter && e.T == SearchParamType.Date).Select(e => e.L ?? DateTimeOffset.MinValue.UtcTicks).Cast<long?>().Min();
            Func<VersionHead, bool> missing = h => key(h) is null;
            ordered = ordered is null ? heads.OrderBy(missing) : ordered.ThenBy(missing);
            ordered = spec.Descending ? ordered.ThenByDescending(key) : ordered.ThenBy(key);
        }
        return [.. ordered!.ThenBy(h => h.Rid, StringComparer.Ordinal)];
    }
}
