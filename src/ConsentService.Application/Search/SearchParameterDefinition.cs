using ConsentService.Application.Ports;
using Hl7.Fhir.Model;
using SearchParamType = ConsentService.Application.Ports.SearchParamType;

namespace ConsentService.Application.Search;

/// <summary>
/// One supported search parameter of one resource type, as data (the CapabilityStatement lists these).
/// <see cref="Expression"/> is the R4 FHIRPath expression restricted to this resource type; the indexer does not
/// evaluate it, it runs hand-written code that is equivalent to it (see the per-type parameter files).
/// </summary>
/// <param name="TargetTypes">For reference parameters, the resource types the reference may point to; empty otherwise.</param>
public sealed record SearchParameterDefinition(
    string ResourceType,
    string Name,
    SearchParamType Type,
    string Expression,
    string Description,
    IReadOnlyList<string> TargetTypes)
{
    /// <summary>Writes this parameter's index entries for one resource (of <see cref="ResourceType"/>).</summary>
    internal Action<Resource, IndexCollector>? Extract { get; init; }
}

/// <summary>The parameters of one resource type, declared together with the code that extracts them.</summary>
internal sealed class ResourceSearchParameters<TResource>(string resourceType) where TResource : Resource
{
    private readonly List<SearchParameterDefinition> _definitions = [];

    public IReadOnlyList<SearchParameterDefinition> Definitions => _definitions;

    public ResourceSearchParameters<TResource> Add(
        string name, SearchParamType type, string expression, string description,
        Action<TResource, IndexCollector> extract, params string[] targetTypes)
    {
        _definitions.Add(new SearchParameterDefinition(resourceType, name, type, expression, description, targetTypes)
        {
            Extract = (resource, collector) => extract((TResource)resource, collector),
        });
        return this;
    }
}
