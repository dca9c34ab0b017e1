using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using ConsentService.Application.Ports;

namespace ConsentService.Application.Search;

/// <summary>
/// The search parameters this service supports, per resource type. To support a new type, declare its
/// parameters in a <c>XxxSearchParameters</c> class beside <see cref="ConsentSearchParameters"/> and add it to
/// <c>Declared</c>.
/// </summary>
public static class SearchParameterRegistry
{
    /// <summary>Parameters every type supports; the store answers them from the version itself, not from index entries.</summary>
    public static IReadOnlyList<SearchParameterDefinition> Common { get; } =
    [
        new("Resource", "_id", SearchParamType.Token, "Resource.id", "Logical id of this artifact", []),
        new("Resource", "_lastUpdated", SearchParamType.Date, "Resource.meta.lastUpdated", "When the resource version last changed", []),
    ];

    private static readonly IReadOnlyList<SearchParameterDefinition>[] Declared =
    [
        ConsentSearchParameters.All.Definitions,
        ImagingStudySearchParameters.All.Definitions,
        AuditEventSearchParameters.All.Definitions,
    ];

    /// <summary>The canonical URL of a parameter this service defines itself, or null for an R4 parameter.</summary>
    public static string? CustomDefinition(SearchParameterDefinition parameter) =>
        parameter is { ResourceType: "AuditEvent", Name: Audit.AuditEventParts.DecisionDetail } ? AuditEventSearchParameters.DecisionDefinition : null;

    private static readonly FrozenDictionary<string, FrozenDictionary<string, SearchParameterDefinition>> ByType =
        Declared.ToFrozenDictionary(
            list => list[0].ResourceType,
            list => list.ToFrozenDictionary(d => d.Name, StringComparer.Ordinal),
            StringComparer.Ordinal);

    private static readonly FrozenDictionary<string, SearchParameterDefinition[]> OrderedByType =
        Declared.ToFrozenDictionary(list => list[0].ResourceType, list => list.ToArray(), StringComparer.Ordinal);

    /// <summary>The resource types that have search parameters.</summary>
    public static IReadOnlyCollection<string> ResourceTypes => OrderedByType.Keys;

    /// <summary>The type-specific parameters of <paramref name="resourceType"/> in declaration order; empty when the type is not searchable.</summary>
    public static IReadOnlyList<SearchParameterDefinition> For(string resourceType) =>
        OrderedByType.TryGetValue(resourceType, out var list) ? list : [];

    public static bool IsSearchable(string resourceType) => OrderedByType.ContainsKey(resourceType);

    /// <summary>A type-specific parameter by its code (case-sensitive, as FHIR names are).</summary>
    public static bool TryGet(string resourceType, string name, [NotNullWhen(true)] out SearchParameterDefinition? definition)
    {
        definition = null;
        return ByType.TryGetValue(resourceType, out var byName) && byName.TryGetValue(name, out definition);
    }
}
