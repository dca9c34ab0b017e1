using ConsentService.Domain.Decisions;
using ConsentService.Domain.Fhir;

namespace ConsentService.Domain.Consents;

/// <summary>One Consent version compiled once at write time; immutable and shared by every decision.</summary>
public sealed class CompiledConsent
{
    internal CompiledConsent(
        string id,
        string versionId,
        DateTimeOffset? lastUpdated,
        string status,
        IReadOnlyList<string> scopeCodes,
        bool governsSecondaryUse,
        string? patientReference,
        string[] patientIdentifierKeys,
        DateTimeOffset? dateTime,
        InstantRange? rootPeriod,
        Verdict? baseAnswer,
        string baseAnswerSource,
        CompiledProvision root)
    {
        Id = id;
        VersionId = versionId;
        LastUpdated = lastUpdated;
        Status = status;
        ScopeCodes = scopeCodes;
        GovernsSecondaryUse = governsSecondaryUse;
        PatientReference = patientReference;
        PatientIdentifierKeyArray = patientIdentifierKeys;
        DateTime = dateTime;
        RootPeriod = rootPeriod;
        BaseAnswer = baseAnswer;
        BaseAnswerSource = baseAnswerSource;
        Root = root;
        Reference = $"Consent/{id}/_history/{versionId}";
        SpeaksReason = Quote(baseAnswer is { } answer
            ? $"{Reference} speaks to this request; its base answer is {Word(answer)} ({baseAnswerSource})."
            : $"{Reference} speaks to this request, but its base answer cannot be determined ({baseAnswerSource}); it is never used to permit, so the answer is deny.");
        SilentReason = Quote(root.IsPermitWithoutOwnPurpose
            ? $"{Reference} permits without stating the requested purpose; a vague consent is never read as consent to it, so this consent is silent."
            : $"{Reference} does not speak to this request (not every condition on its root provision matches).");
        InactiveReason = Quote($"{Reference} has status {status}; only active consents count.");
        ScopeReason = Quote($"{Reference} has scope {string.Join(", ", scopeCodes.DefaultIfEmpty("(none)"))}, which does not govern secondary use of data; it does not count.");
        OutOfPeriodReason = Quote($"{Reference} is outside its period at the decision instant; it does not count.");
    }

    public string Id { get; }
    public string VersionId { get; }
    public DateTimeOffset? LastUpdated { get; }

    /// <summary>The FHIR status code (active, inactive, draft, proposed, rejected, entered-in-error).</summary>
    public string Status { get; }

    public bool IsActive => Status == "active";
    public IReadOnlyList<string> ScopeCodes { get; }

    /// <summary>True for scope patient-privacy or research (a treatment or adr consent does not govern AI training).</summary>
    public bool GovernsSecondaryUse { get; }

    public string? PatientReference { get; }
    public IReadOnlyList<string> PatientIdentifierKeys => PatientIdentifierKeyArray;
    internal string[] PatientIdentifierKeyArray { get; }

    /// <summary>Consent.dateTime; candidates are tried newest first.</summary>
    public DateTimeOffset? DateTime { get; }

    public InstantRange? RootPeriod { get; }

    /// <summary>Permit or deny from policyRule (or a root type standing in); null when it cannot be determined.</summary>
    public Verdict? BaseAnswer { get; }

    /// <summary>Where the base answer came from, in words.</summary>
    public string BaseAnswerSource { get; }

    public CompiledProvision Root { get; }

    /// <summary>"Consent/&lt;id&gt;/_history/&lt;version&gt;".</summary>
    public string Reference { get; }

    internal Reason SpeaksReason { get; }
    internal Reason SilentReason { get; }
    internal Reason InactiveReason { get; }
    internal Reason ScopeReason { get; }
    internal Reason OutOfPeriodReason { get; }

    /// <summary>Rule 2: the consent's patient and the study's subject share a literal reference or a business identifier.</summary>
    public bool BelongsToPatientOf(Studies.StudyFacts study)
    {
        if (PatientReference is not null && string.Equals(PatientReference, study.PatientReference, StringComparison.Ordinal)) return true;
        foreach (var mine in PatientIdentifierKeyArray)
            foreach (var theirs in study.PatientIdentifierKeys)
                if (string.Equals(mine, theirs, StringComparison.Ordinal)) return true;
        return false;
    }

    private static Reason Quote(string text) => new(text, QuotesConsent: true);

    internal static string Word(Verdict verdict) => verdict == Verdict.Permit ? "permit" : "deny";
}
