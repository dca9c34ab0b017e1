using System.Collections.Frozen;
using ConsentService.Domain.Fhir;
using ConsentService.Domain.Studies;

namespace ConsentService.Domain.Terminology;

/// <summary>Which studies can show a recognisable face (configured under Decisions:FaceBearing).</summary>
public sealed record FaceBearingSettings
{
    /// <summary>DICOM DCM modality codes.</summary>
    public IReadOnlyList<string> Modalities { get; init; } = ["CT", "MR", "PT"];

    /// <summary>SNOMED CT body sites; each also covers its descendants. Head, brain, face, neck.</summary>
    public IReadOnlyList<string> BodySites { get; init; } = ["69536005", "12738006", "89545001", "45048000"];

    public static FaceBearingSettings Default { get; } = new();
}

/// <summary>
/// A study is face-bearing when one of its modalities is listed and one of its body sites is a listed site or a
/// descendant; failing safe, a listed modality with no body site at all is face-bearing too.
/// </summary>
public sealed class FaceBearingRule
{
    private readonly FrozenSet<string> _modalityKeys;
    private readonly FrozenSet<string> _bodySiteKeys;

    public static FaceBearingRule Default { get; } = new(FaceBearingSettings.Default, BodySiteHierarchy.Default);

    public FaceBearingRule(FaceBearingSettings settings, BodySiteHierarchy bodySites)
    {
        _modalityKeys = settings.Modalities.Select(m => CodeKey.Of(CodeSystems.Dicom, m)).ToFrozenSet(StringComparer.Ordinal);
        _bodySiteKeys = settings.BodySites
            .SelectMany(bodySites.DescendantsOrSelf)
            .Select(c => CodeKey.Of(CodeSystems.Snomed, c))
            .ToFrozenSet(StringComparer.Ordinal);
    }

    public bool IsFaceBearing(StudyFacts study)
    {
        if (!AnyIn(study.ModalityKeys, _modalityKeys)) return false;
        return study.BodySiteKeys.Length == 0 || AnyIn(study.BodySiteKeys, _bodySiteKeys);
    }

    private static bool AnyIn(string[] keys, FrozenSet<string> set)
    {
        foreach (var key in keys)
            if (set.Contains(key)) return true;
        return false;
    }
}
