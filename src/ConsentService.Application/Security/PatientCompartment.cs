using ConsentService.Application.Ports;
using ConsentService.Application.Search;
using Hl7.Fhir.Serialization;

namespace ConsentService.Application.Security;

/// <summary>
/// The patient compartment, defined once by each type's <c>patient</c> search parameter: a resource belongs to
/// patient X when its <c>patient</c> index entries reference Patient/X. Searches are constrained by that very
/// parameter and reads are checked against the same entries, so read and search always agree.
/// Outside the compartment a resource does not exist for the caller (404, never 403: existence is not revealed).
/// </summary>
public static class PatientCompartment
{
    public const string Parameter = "patient";

    /// <summary>ANDs "patient=Patient/<paramref name="patientId"/>" to <paramref name="query"/>, whatever else
    /// it asks (an <c>_id</c> of another patient's resource then simply matches nothing).</summary>
    public static SearchQuery Constrain(SearchQuery query, string patientId)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (!SearchParameterRegistry.TryGet(query.ResourceType, Parameter, out var definition) || definition.Type != SearchParamType.Reference)
        {
            throw new AccessDeniedException($"{query.ResourceType} has no patient compartment, so patient scopes cannot search it.");
        }
        var clause = new SearchClause(Parameter, SearchParamType.Reference, [new SearchValue(Value: $"Patient/{patientId}")]);
        return query with { Clauses = [.. query.Clauses, clause] };
    }

    /// <summary>Applies <paramref name="access"/> to a search: unchanged for full access, constrained for a compartment.</summary>
    public static SearchQuery Apply(ResourceAccess access, SearchQuery query) =>
        access.Patient is { } patient ? Constrain(query, patient) : query;

    /// <summary>True when the stored version belongs to the patient's compartment. A delete version holds no
    /// content to tell whose it was, so it is not (the caller then gets 404 rather than 410).</summary>
    public static bool Contains(StoredResource version, string patientId)
    {
        ArgumentNullException.ThrowIfNull(version);
        if (version.IsDeleted || version.Json.Length == 0)
        {
            return false;
        }
        var resource = Resources.StoredJson.Parse(version.Json);
        var expected = $"Patient/{patientId}";
        return SearchIndexer.Extract(resource).Any(e =>
            e.Parameter == Parameter && e.Type == SearchParamType.Reference && string.Equals(e.Value, expected, StringComparison.Ordinal));
    }

    /// <summary>404 unless <paramref name="access"/> is full or the version is in its compartment.</summary>
    public static void EnsureVisible(ResourceAccess access, StoredResource version, string name)
    {
        if (access.Patient is { } patient && !Contains(version, patient))
        {
            throw new ResourceNotFoundException($"{name} is not known.");
        }
    }

    /// <summary>404 unless every version with content on the page is in the compartment (and there is one):
    /// a resource that ever belonged to someone else is not shown to a patient at all.</summary>
    public static void EnsureVisible(ResourceAccess access, IReadOnlyList<StoredResource> versions, string name)
    {
        if (access.Patient is not { } patient)
        {
            return;
        }
        var withContent = versions.Where(v => !v.IsDeleted).ToList();
        if (withContent.Count == 0 || !withContent.TrueForAll(v => Contains(v, patient)))
        {
            throw new ResourceNotFoundException($"{name} is not known.");
        }
    }
}
