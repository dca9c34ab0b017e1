using System.Collections.Frozen;
using ConsentService.Domain.Decisions;
using ConsentService.Domain.Fhir;
using ConsentService.Domain.Studies;

namespace ConsentService.Domain.Consents;

/// <summary>Three-valued outcome of a condition: a study that lacks the fact gives Unknown (safety rule 2).</summary>
internal enum Match : byte
{
    No,
    Yes,
    Unknown,
}

/// <summary>
/// One provision compiled into matchers. A condition the provision does not state is null and matches all.
/// Purposes are already expanded: a deny's set holds its purposes and all their descendants, so "the requested
/// purpose or one of its ancestors is listed" is one lookup of the requested purpose.
/// </summary>
public sealed class CompiledProvision
{
    internal CompiledProvision(
        string path,
        Verdict answer,
        bool statesType,
        FrozenSet<string>? purposes,
        FrozenSet<string>? inheritedPurposes,
        FrozenSet<string>? actors,
        FrozenSet<string>? data,
        CodeCondition? codes,
        bool? classMatchesImagingStudy,
        FrozenSet<string>? securityLabels,
        InstantRange? dataPeriod,
        InstantRange? period,
        FrozenSet<string>? actions,
        Reason appliesReason)
    {
        Path = path;
        Answer = answer;
        StatesType = statesType;
        Purposes = purposes;
        InheritedPurposes = inheritedPurposes;
        Actors = actors;
        Data = data;
        Codes = codes;
        ClassMatchesImagingStudy = classMatchesImagingStudy;
        SecurityLabels = securityLabels;
        DataPeriod = dataPeriod;
        Period = period;
        Actions = actions;
        AppliesReason = appliesReason;
    }

    /// <summary>FHIRPath-like location, e.g. provision.provision[1].provision[0].</summary>
    public string Path { get; }

    /// <summary>The provision's own type, or its parent's when it states none (the root: the consent's base answer).</summary>
    public Verdict Answer { get; }

    public bool StatesType { get; }

    public CompiledProvision? Parent { get; internal set; }

    public IReadOnlyList<CompiledProvision> Exceptions => ExceptionArray;

    internal CompiledProvision[] ExceptionArray { get; set; } = [];

    internal FrozenSet<string>? Purposes { get; }

    /// <summary>The purposes written on this provision itself, exact, unexpanded.</summary>
    internal string[] PurposesStatedHere { get; set; } = [];

    /// <summary>For a permit that states no purpose: the purposes stated by its ancestors (safety rule 1).</summary>
    internal FrozenSet<string>? InheritedPurposes { get; }

    internal FrozenSet<string>? Actors { get; }
    internal FrozenSet<string>? Data { get; }
    internal CodeCondition? Codes { get; }
    internal bool? ClassMatchesImagingStudy { get; }
    internal FrozenSet<string>? SecurityLabels { get; }
    internal InstantRange? DataPeriod { get; }
    internal InstantRange? Period { get; }
    internal FrozenSet<string>? Actions { get; }
    internal Reason AppliesReason { get; }

    /// <summary>True when a permit states no purpose of its own.</summary>
    public bool IsPermitWithoutOwnPurpose => Answer == Verdict.Permit && Purposes is null;

    /// <summary>Whether every condition stated here matches, under the asymmetric rules for permit and deny.</summary>
    internal bool Applies(DecisionRequest request, StudyFacts study, DateTimeOffset instant)
    {
        var deny = Answer == Verdict.Deny;
        if (deny)
        {
            if (Purposes is not null && !Purposes.Contains(request.PurposeKey)) return false;
        }
        else
        {
            var stated = Purposes ?? InheritedPurposes;
            if (stated is null || !stated.Contains(request.PurposeKey)) return false;
        }
        if (Actors is not null && !Actors.Contains(request.ActorReference)
            && (request.ActorIdentifierKey is null || !Actors.Contains(request.ActorIdentifierKey))) return false;
        if (Data is not null && !Data.Contains(study.IdKey) && (study.UidKey is null || !Data.Contains(study.UidKey))) return false;
        if (Codes is not null && !Accept(Codes.Evaluate(study), deny)) return false;
        if (ClassMatchesImagingStudy == false) return false;
        if (SecurityLabels is not null && !CodeCondition.AnyIn(study.SecurityLabelKeys, SecurityLabels)) return false;
        if (DataPeriod is { } dataPeriod)
        {
            var started = study.Started is { } s ? Within(dataPeriod, s) : Match.Unknown;
            if (!Accept(started, deny)) return false;
        }
        if (Period is { } period && !Accept(Within(period, instant), deny)) return false;
        if (Actions is not null && !Actions.Contains(request.ActionKey)) return false;
        return true;
    }

    /// <summary>A period that cannot be read neither covers nor misses an instant: Unknown, so only a deny applies.</summary>
    private static Match Within(InstantRange range, DateTimeOffset instant) =>
        range.IsUnreadable ? Match.Unknown : range.Contains(instant) ? Match.Yes : Match.No;

    /// <summary>Safety rule 2: a missing fact counts as matched for a deny and as not matched for a permit.</summary>
    private static bool Accept(Match match, bool deny) => match == Match.Yes || (deny && match == Match.Unknown);
}

/// <summary>
/// Provision.code: any coding matches a modality (DCM), a body site (SNOMED CT, with descendants expanded at
/// compile time) or a procedure code. A coding whose kind of fact the study lacks makes the outcome Unknown.
/// </summary>
internal sealed class CodeCondition(FrozenSet<string> keys, bool needsModality, bool needsBodySite, bool needsProcedure)
{
    public Match Evaluate(StudyFacts study)
    {
        if (AnyIn(study.ModalityKeys, keys) || AnyIn(study.BodySiteKeys, keys) || AnyIn(study.ProcedureCodeKeys, keys))
            return Match.Yes;
        var lacking = (needsModality && study.ModalityKeys.Length == 0)
            || (needsBodySite && study.BodySiteKeys.Length == 0)
            || (needsProcedure && study.ProcedureCodeKeys.Length == 0);
        return lacking ? Match.Unknown : Match.No;
    }

    public static bool AnyIn(string[] values, FrozenSet<string> set)
    {
        foreach (var value in values)
            if (set.Contains(value)) return true;
        return false;
    }
}
