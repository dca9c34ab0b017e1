using System.Text.Json.Serialization;

namespace ConsentService.Application.Decisions;

/// <summary>A purpose of use as a coding; defaults to v3-ActReason MLTRAINING.</summary>
public sealed record PurposeCoding(string? System, string? Code);

/// <summary>A business identifier (system and value), e.g. an organisation's OID.</summary>
public sealed record IdentifierValue(string? System, string? Value);

/// <summary>Body of <c>POST /api/v1/decisions</c>.</summary>
/// <param name="Study">The DICOM Study Instance UID (bare or urn:oid:) or "ImagingStudy/&lt;id&gt;".</param>
/// <param name="Actor">The recipient, "Organization/&lt;id&gt;".</param>
/// <param name="Purpose">Default: v3-ActReason MLTRAINING.</param>
/// <param name="Action">A consentaction code; default "use".</param>
/// <param name="At">Decide as of this past instant (record time); default now.</param>
/// <param name="ActorIdentifier">Optional: the actor's business identifier, so consents that name the actor by
/// identifier rather than by reference are matched.</param>
public sealed record DecisionQuery(string? Study, string? Actor, PurposeCoding? Purpose, string? Action, DateTimeOffset? At,
    IdentifierValue? ActorIdentifier = null);

/// <summary>Body of <c>POST /api/v1/decisions/batch</c>: up to 10,000 studies decided for one actor and purpose.</summary>
public sealed record BatchDecisionQuery(IReadOnlyList<string?>? Studies, string? Actor, PurposeCoding? Purpose, string? Action, DateTimeOffset? At,
    IdentifierValue? ActorIdentifier = null);

public sealed record ObligationCoding(string System, string Code, string Display);

/// <summary>The default policy in force: its id and version.</summary>
public sealed record PolicyRef(string Id, string Version);

/// <summary>One decision. Never carries the patient's identity.</summary>
public sealed record DecisionResult(
    string DecisionId,
    string Decision,
    string Basis,
    string Study,
    string? ImagingStudy,
    string Actor,
    PurposeCoding Purpose,
    string Action,
    DateTimeOffset At,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Consent,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? ProvisionPath,
    IReadOnlyList<string> Reasons,
    IReadOnlyList<ObligationCoding> Obligations,
    PolicyRef Policy);

public sealed record BatchSummary(int Permit, int Deny, int UnknownStudy);

public sealed record BatchDecisionResult(IReadOnlyList<DecisionResult> Results, BatchSummary Summary);

/// <summary>The wire values of <see cref="DecisionResult.Decision"/> and <see cref="DecisionResult.Basis"/>.</summary>
public static class DecisionValues
{
    public const string Permit = "permit";
    public const string Deny = "deny";
    public const string BasisConsent = "consent";
    public const string BasisPolicy = "policy";
    public const string BasisUnknownStudy = "unknown-study";
}

/// <summary>Which registered studies a cohort covers. Body sites include their SNOMED CT descendants.</summary>
public sealed record CohortFilter(IReadOnlyList<string>? Modality, IReadOnlyList<string>? BodySite, DateTimeOffset? StartedFrom, DateTimeOffset? StartedTo);

/// <summary>Body of <c>POST /api/v1/decisions/cohort</c>.</summary>
public sealed record CohortQuery(string? Actor, PurposeCoding? Purpose, string? Action, CohortFilter? Filter, IdentifierValue? ActorIdentifier = null);

/// <summary>The last line of a cohort stream.</summary>
public sealed record CohortSummary(int Matched, int Permitted, int DeniedByConsent, int DeniedByPolicy);

/// <summary>The summary line as sent: <c>{"summary":{...}}</c>.</summary>
public sealed record CohortSummaryLine(CohortSummary Summary);

/// <summary>One line of a cohort stream: a permitted study's decision, or the closing summary.</summary>
public sealed record CohortLine(DecisionResult? Result, CohortSummary? Summary);
