using System.Collections.Frozen;
using ConsentService.Domain.Decisions;
using ConsentService.Domain.Fhir;
using ConsentService.Domain.Studies;
using ConsentService.Domain.Terminology;
using Hl7.Fhir.Model;

namespace ConsentService.Domain.Consents;

/// <summary>Compiles a FHIR Consent version into a <see cref="CompiledConsent"/>, and checks one before it is stored.</summary>
public static class ConsentCompiler
{
    private static readonly FrozenSet<string> SecondaryUseScopes = new[] { "patient-privacy", "research" }.ToFrozenSet(StringComparer.Ordinal);

    public static CompiledConsent Compile(Consent consent, string id, string versionId, DateTimeOffset? lastUpdated) =>
        Compile(consent, id, versionId, lastUpdated, PurposeHierarchy.Default, BodySiteHierarchy.Default);

    public static CompiledConsent Compile(
        Consent consent,
        string id,
        string versionId,
        DateTimeOffset? lastUpdated,
        PurposeHierarchy purposes,
        BodySiteHierarchy bodySites)
    {
        ArgumentNullException.ThrowIfNull(consent);
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        ArgumentException.ThrowIfNullOrWhiteSpace(versionId);
        var (baseAnswer, source) = BaseAnswer(consent);
        var scopes = consent.Scope?.Coding
            .Where(c => c.System is null or CodeSystems.ConsentScope && !string.IsNullOrWhiteSpace(c.Code))
            .Select(c => c.Code!).ToArray() ?? [];
        var rootSource = consent.Provision ?? new Consent.provisionComponent();
        // An undetermined base answer is matched like a deny: it may stop a permit, never give one.
        var context = new Context(purposes, bodySites);
        var root = CompileProvision(rootSource, "provision", baseAnswer ?? Verdict.Deny, statesType: baseAnswer is not null, parent: null, context);

        return new CompiledConsent(
            id,
            versionId,
            lastUpdated,
            StatusCode(consent.Status),
            scopes,
            scopes.Any(SecondaryUseScopes.Contains),
            FhirReferences.NormaliseLiteral(consent.Patient?.Reference),
            StudyFactsExtractor.IdentifierKeys(consent.Patient).ToArray(),
            FhirDateRange.StartOf(consent.DateTime),
            rootSource.Period is { } p ? InstantRange.FromPeriod(p.Start, p.End) : null,
            baseAnswer,
            source,
            root);
    }

    /// <summary>
    /// Problems that make a Consent unacceptable for storage: a root type contradicting policyRule, a policyRule
    /// that says both opt-in and opt-out, periods that end before they start or whose start or end cannot be read.
    /// </summary>
    public static IReadOnlyList<ConsentProblem> Check(Consent consent)
    {
        ArgumentNullException.ThrowIfNull(consent);
        var problems = new List<ConsentProblem>();
        var (policy, conflicting) = PolicyAnswer(consent.PolicyRule);
        if (conflicting)
            problems.Add(new("Consent.policyRule", "policyRule carries both an opt-in (OPTIN, OPTINR) and an opt-out (OPTOUT, OPTOUTE) code."));
        var rootType = TypeOf(consent.Provision?.Type);
        if (policy is { } p && rootType is { } t && p != t)
            problems.Add(new("Consent.provision.type",
                $"The root provision type '{CompiledConsent.Word(t)}' contradicts policyRule, which means '{CompiledConsent.Word(p)}'."));
        if (consent.Provision is { } root) CheckPeriods(root, "Consent.provision", problems);
        return problems;
    }

    private static void CheckPeriods(Consent.provisionComponent provision, string path, List<ConsentProblem> problems)
    {
        CheckPeriod(provision.Period, path + ".period", problems);
        CheckPeriod(provision.DataPeriod, path + ".dataPeriod", problems);
        for (var i = 0; i < provision.Provision.Count; i++)
            CheckPeriods(provision.Provision[i], $"{path}.provision[{i}]", problems);
    }

    private static void CheckPeriod(Period? period, string path, List<ConsentProblem> problems)
    {
        if (period is null) return;
        var range = InstantRange.FromPeriod(period.Start, period.End);
        if (range is { IsUnreadable: true })
            problems.Add(new(path, "The period's start or end is not a FHIR date or dateTime."));
        else if (range is { } r && r.End <= r.Start)
            problems.Add(new(path, "The period ends before it starts."));
    }

    private static (Verdict? Answer, string Source) BaseAnswer(Consent consent)
    {
        var (policy, conflicting) = PolicyAnswer(consent.PolicyRule);
        var type = TypeOf(consent.Provision?.Type);
        if (conflicting) return (null, "policyRule says both opt-in and opt-out");
        if (policy is { } p)
        {
            if (type is { } t && t != p)
                return (null, $"root type {CompiledConsent.Word(t)} contradicts policyRule {CompiledConsent.Word(p)}");
            return (p, $"policyRule {PolicyCodes(consent.PolicyRule)}");
        }
        if (type is { } rootType) return (rootType, "root provision type, policyRule missing or unrecognised");
        return (null, "no recognised policyRule and no root type");
    }

    private static (Verdict? Answer, bool Conflicting) PolicyAnswer(CodeableConcept? policyRule)
    {
        bool permit = false, deny = false;
        foreach (var coding in policyRule?.Coding ?? [])
        {
            if (coding.System is not (null or CodeSystems.ActCode)) continue;
            switch (coding.Code)
            {
                case "OPTIN" or "OPTINR": permit = true; break;
                case "OPTOUT" or "OPTOUTE": deny = true; break;
            }
        }
        if (permit && deny) return (null, true);
        return (permit ? Verdict.Permit : deny ? Verdict.Deny : null, false);
    }

    private static string PolicyCodes(CodeableConcept? policyRule) =>
        string.Join(", ", (policyRule?.Coding ?? []).Select(c => c.Code).Where(c => c is not null));

    private static Verdict? TypeOf(Consent.ConsentProvisionType? type) => type switch
    {
        Consent.ConsentProvisionType.Permit => Verdict.Permit,
        Consent.ConsentProvisionType.Deny => Verdict.Deny,
        _ => null,
    };

    private static string StatusCode(Consent.ConsentState? status) => status switch
    {
        Consent.ConsentState.Draft => "draft",
        Consent.ConsentState.Proposed => "proposed",
        Consent.ConsentState.Active => "active",
        Consent.ConsentState.Rejected => "rejected",
        Consent.ConsentState.Inactive => "inactive",
        Consent.ConsentState.EnteredInError => "entered-in-error",
        _ => "unknown",
    };

    private sealed record Context(PurposeHierarchy Purposes, BodySiteHierarchy BodySites);

    private static CompiledProvision CompileProvision(
        Consent.provisionComponent source,
        string path,
        Verdict answer,
        bool statesType,
        CompiledProvision? parent,
        Context context)
    {
        var statedPurposes = source.Purpose
            .Where(c => !string.IsNullOrWhiteSpace(c.Code))
            .Select(c => (System: c.System ?? CodeSystems.ActReason, Code: c.Code!.Trim()))
            .ToArray();
        FrozenSet<string>? purposes = null;
        if (statedPurposes.Length > 0)
        {
            purposes = answer == Verdict.Deny
                ? statedPurposes.SelectMany(p => Descendants(p.System, p.Code, context.Purposes)).ToFrozenSet(StringComparer.Ordinal)
                : statedPurposes.Select(p => CodeKey.Of(p.System, p.Code)).ToFrozenSet(StringComparer.Ordinal);
        }
        var inherited = answer == Verdict.Permit && purposes is null ? InheritedPurposes(parent) : null;

        var provision = new CompiledProvision(
            path,
            answer,
            statesType,
            purposes,
            inherited,
            Actors(source),
            Data(source),
            Codes(source, context.BodySites),
            source.Class.Count == 0 ? null : source.Class.Any(IsImagingStudyClass),
            Set(source.SecurityLabel.Select(c => KeyOrNull(c, null))),
            source.DataPeriod is { } dp ? InstantRange.FromPeriod(dp.Start, dp.End) : null,
            source.Period is { } pp ? InstantRange.FromPeriod(pp.Start, pp.End) : null,
            Set(source.Action.SelectMany(a => a.Coding).Select(c => KeyOrNull(c, CodeSystems.ConsentAction))),
            new Reason(Describe(path, answer, source, statedPurposes), QuotesConsent: true))
        {
            Parent = parent,
        };
        provision.PurposesStatedHere = statedPurposes.Select(p => CodeKey.Of(p.System, p.Code)).ToArray();
        provision.ExceptionArray = source.Provision
            .Select((child, i) => CompileProvision(
                child,
                $"{path}.provision[{i}]",
                TypeOf(child.Type) ?? answer,
                child.Type is not null,
                provision,
                context))
            .ToArray();
        return provision;
    }

    /// <summary>Safety rule 1: the purposes stated on any ancestor, as exact keys.</summary>
    private static FrozenSet<string> InheritedPurposes(CompiledProvision? parent)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        for (var p = parent; p is not null; p = p.Parent)
            keys.UnionWith(p.PurposesStatedHere);
        return keys.ToFrozenSet(StringComparer.Ordinal);
    }

    private static IEnumerable<string> Descendants(string system, string code, PurposeHierarchy purposes) =>
        system == CodeSystems.ActReason
            ? purposes.DescendantsOrSelf(code).Select(c => CodeKey.Of(system, c))
            : [CodeKey.Of(system, code)];

    private static FrozenSet<string>? Actors(Consent.provisionComponent source)
    {
        if (source.Actor.Count == 0) return null;
        var keys = new List<string>();
        foreach (var actor in source.Actor)
        {
            if (FhirReferences.NormaliseLiteral(actor.Reference?.Reference) is { } literal) keys.Add(literal);
            keys.AddRange(StudyFactsExtractor.IdentifierKeys(actor.Reference));
        }
        return keys.ToFrozenSet(StringComparer.Ordinal);
    }

    private static FrozenSet<string>? Data(Consent.provisionComponent source)
    {
        if (source.Data.Count == 0) return null;
        var keys = new List<string>();
        foreach (var data in source.Data)
        {
            var reference = data.Reference;
            if (reference is null) continue;
            // A reference or UID that cannot be read adds no key: it names no study.
            if (reference.Reference is { } literal)
            {
                var key = StudyUidKey.HasOidPrefix(literal)
                    ? StudyUidKey.TryNormalize(literal, out var uid) ? StudyUidKey.Of(uid) : null
                    : FhirReferences.NormaliseLiteral(literal);
                if (key is not null) keys.Add(key);
            }
            if (reference.Identifier is { Value: { } value } identifier
                && (identifier.System == CodeSystems.DicomUid || StudyUidKey.HasOidPrefix(value))
                && StudyUidKey.TryNormalize(value, out var identifierUid))
                keys.Add(StudyUidKey.Of(identifierUid));
        }
        // A data condition that names nothing usable still stands, and matches no study.
        return keys.ToFrozenSet(StringComparer.Ordinal);
    }

    private static CodeCondition? Codes(Consent.provisionComponent source, BodySiteHierarchy bodySites)
    {
        var codings = source.Code.SelectMany(c => c.Coding).Where(c => !string.IsNullOrWhiteSpace(c.Code)).ToArray();
        if (codings.Length == 0) return source.Code.Count == 0 ? null : new CodeCondition(FrozenSet<string>.Empty, false, false, false);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        bool modality = false, bodySite = false, procedure = false;
        foreach (var coding in codings)
        {
            var code = coding.Code!.Trim();
            switch (coding.System)
            {
                case CodeSystems.Dicom:
                    modality = true;
                    keys.Add(CodeKey.Of(CodeSystems.Dicom, code));
                    break;
                case CodeSystems.Snomed:
                    bodySite = true;
                    foreach (var descendant in bodySites.DescendantsOrSelf(code)) keys.Add(CodeKey.Of(CodeSystems.Snomed, descendant));
                    break;
                default:
                    procedure = true;
                    keys.Add(CodeKey.Of(coding.System, code));
                    break;
            }
        }
        return new CodeCondition(keys.ToFrozenSet(StringComparer.Ordinal), modality, bodySite, procedure);
    }

    private static bool IsImagingStudyClass(Coding coding) =>
        coding.System is null or CodeSystems.ResourceTypes && coding.Code == "ImagingStudy";

    private static string? KeyOrNull(Coding coding, string? defaultSystem) =>
        string.IsNullOrWhiteSpace(coding.Code) ? null : CodeKey.Of(coding.System ?? defaultSystem, coding.Code!.Trim());

    private static FrozenSet<string>? Set(IEnumerable<string?> keys)
    {
        var list = keys.Where(k => k is not null).Select(k => k!).ToList();
        return list.Count == 0 ? null : list.ToFrozenSet(StringComparer.Ordinal);
    }

    private static string Describe(string path, Verdict answer, Consent.provisionComponent source, (string System, string Code)[] purposes)
    {
        var parts = new List<string>();
        if (purposes.Length > 0) parts.Add("purpose " + string.Join(" or ", purposes.Select(p => p.Code)));
        if (source.Actor.Count > 0)
            parts.Add("actor " + string.Join(" or ", source.Actor.Select(a => a.Reference?.Reference ?? a.Reference?.Identifier?.Value)));
        if (source.Data.Count > 0)
            parts.Add("data " + string.Join(" or ", source.Data.Select(d => d.Reference?.Reference ?? d.Reference?.Identifier?.Value)));
        if (source.Code.Count > 0)
            parts.Add("code " + string.Join(" or ", source.Code.SelectMany(c => c.Coding).Select(c => c.Code)));
        if (source.Class.Count > 0) parts.Add("class " + string.Join(" or ", source.Class.Select(c => c.Code)));
        if (source.SecurityLabel.Count > 0) parts.Add("security label " + string.Join(" or ", source.SecurityLabel.Select(c => c.Code)));
        if (source.DataPeriod is { } dp) parts.Add($"data period {dp.Start}..{dp.End}");
        if (source.Period is { } p) parts.Add($"period {p.Start}..{p.End}");
        if (source.Action.Count > 0) parts.Add("action " + string.Join(" or ", source.Action.SelectMany(a => a.Coding).Select(c => c.Code)));
        var conditions = parts.Count == 0 ? "no conditions" : string.Join("; ", parts);
        return $"{path} ({CompiledConsent.Word(answer)}; {conditions}) applies.";
    }
}
