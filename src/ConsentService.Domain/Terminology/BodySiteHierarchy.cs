using ConsentService.Domain.Fhir;

namespace ConsentService.Domain.Terminology;

/// <summary>
/// The SNOMED CT is-a subset for head and neck anatomy used by imaging, shipped as data (source named in the data
/// file and in docs/decisions.md). Codes outside the subset are related only to themselves.
/// </summary>
public sealed class BodySiteHierarchy
{
    private readonly IsAHierarchy _hierarchy;

    public static BodySiteHierarchy Default { get; } = new(IsAHierarchy.LoadEmbedded("ConsentService.Domain.Terminology.snomed-head-neck-body-sites.json"));

    private BodySiteHierarchy(IsAHierarchy hierarchy) => _hierarchy = hierarchy;

    public const string System = CodeSystems.Snomed;

    public string Source => _hierarchy.Source;

    public bool IsKnown(string code) => _hierarchy.Contains(code);

    /// <summary>True when <paramref name="code"/> is <paramref name="ancestor"/> or one of its is-a descendants.</summary>
    public bool IsSelfOrDescendantOf(string code, string ancestor)
    {
        if (string.Equals(code, ancestor, StringComparison.Ordinal)) return true;
        var ancestors = _hierarchy.AncestorsOrSelf(code);
        for (var i = 0; i < ancestors.Count; i++)
            if (string.Equals(ancestors[i], ancestor, StringComparison.Ordinal)) return true;
        return false;
    }

    public IReadOnlyList<string> DescendantsOrSelf(string code) => _hierarchy.DescendantsOrSelf(code);

    public IReadOnlyList<string> AncestorsOrSelf(string code) => _hierarchy.AncestorsOrSelf(code);
}
