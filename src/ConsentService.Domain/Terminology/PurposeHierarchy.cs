using System.Collections.Frozen;
using ConsentService.Domain.Fhir;

namespace ConsentService.Domain.Terminology;

/// <summary>
/// The v3-ActReason purpose-of-use subtree (PurposeOfUse and its is-a descendants), shipped as data taken from
/// HL7 Terminology (THO); Firely's bundled R4 terminology predates MLTRAINING.
/// </summary>
public sealed class PurposeHierarchy
{
    private readonly IsAHierarchy _hierarchy;
    private readonly FrozenDictionary<string, string[]> _ancestorKeys;

    public static PurposeHierarchy Default { get; } = new(IsAHierarchy.LoadEmbedded("ConsentService.Domain.Terminology.v3-ActReason-PurposeOfUse.json"));

    private PurposeHierarchy(IsAHierarchy hierarchy)
    {
        _hierarchy = hierarchy;
        _ancestorKeys = hierarchy.Codes.ToFrozenDictionary(c => c, c => hierarchy.AncestorsOrSelf(c).Select(a => CodeKey.Of(CodeSystems.ActReason, a)).ToArray(), StringComparer.Ordinal);
    }

    public const string System = CodeSystems.ActReason;

    /// <summary>Where the data came from, including the THO release.</summary>
    public string Source => _hierarchy.Source;

    public bool IsKnown(string? system, string code) =>
        string.Equals(system, System, StringComparison.Ordinal) && _hierarchy.Contains(code);

    /// <summary>The code and every ancestor of it in the is-a hierarchy, nearest first.</summary>
    public IReadOnlyList<string> AncestorsOrSelf(string code) => _hierarchy.AncestorsOrSelf(code);

    public IReadOnlyList<string> DescendantsOrSelf(string code) => _hierarchy.DescendantsOrSelf(code);

    public string? Display(string code) => _hierarchy.Displays.GetValueOrDefault(code);

    /// <summary>Keys ("system|code") of a purpose and its ancestors; outside v3-ActReason only the purpose itself.</summary>
    internal IReadOnlyList<string> AncestorOrSelfKeys(string? system, string code) =>
        string.Equals(system, System, StringComparison.Ordinal) && _ancestorKeys.TryGetValue(code, out var keys)
            ? keys
            : [CodeKey.Of(system, code)];
}
