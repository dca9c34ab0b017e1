using ConsentService.Application.Ports;
using Hl7.Fhir.Model;

namespace ConsentService.Application.Search;

/// <summary>Extracts the index entries of a resource version at write time, for every parameter in
/// <see cref="SearchParameterRegistry"/> of its type. No FHIRPath engine runs: each parameter carries hand-written
/// code equivalent to its R4 expression.</summary>
public static class SearchIndexer
{
    /// <summary>The entries of <paramref name="resource"/>; empty for a type without search parameters.</summary>
    public static IReadOnlyList<SearchIndexEntry> Extract(Resource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var parameters = SearchParameterRegistry.For(resource.TypeName);
        if (parameters.Count == 0) return [];
        var collector = new IndexCollector();
        foreach (var parameter in parameters)
        {
            collector.Begin(parameter);
            parameter.Extract?.Invoke(resource, collector);
        }
        return collector.Entries;
    }
}
