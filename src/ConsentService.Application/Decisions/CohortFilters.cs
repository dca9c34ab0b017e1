using ConsentService.Application.Ports;
using ConsentService.Domain.Fhir;
using ConsentService.Domain.Terminology;

namespace ConsentService.Application.Decisions;

/// <summary>Turns a cohort filter into a search over the ImagingStudy index (modality, bodysite, started).</summary>
public static class CohortFilters
{
    public static SearchQuery ToQuery(CohortFilter? filter, long? snapshot)
    {
        var clauses = new List<SearchClause>();
        if (filter?.Modality is { Count: > 0 } modalities)
        {
            clauses.Add(new SearchClause("modality", SearchParamType.Token, modalities.Select(m => new SearchValue(Value: m)).ToArray()));
        }
        if (filter?.BodySite is { Count: > 0 } sites)
        {
            var codes = sites.SelectMany(BodySiteHierarchy.Default.DescendantsOrSelf).Concat(sites).Distinct(StringComparer.Ordinal);
            clauses.Add(new SearchClause("bodysite", SearchParamType.Token, codes.Select(c => new SearchValue(System: CodeSystems.Snomed, Value: c)).ToArray()));
        }
        if (filter?.StartedFrom is { } from)
        {
            clauses.Add(new SearchClause("started", SearchParamType.Date, [new SearchValue(Prefix: DatePrefix.Ge, Low: from, High: from)]));
        }
        if (filter?.StartedTo is { } to)
        {
            clauses.Add(new SearchClause("started", SearchParamType.Date, [new SearchValue(Prefix: DatePrefix.Le, Low: to, High: to)]));
        }
        return new SearchQuery("ImagingStudy", clauses, [], Count: 0, Snapshot: snapshot);
    }
}
