using Hl7.Fhir.Model;
using SearchParamType = ConsentService.Application.Ports.SearchParamType;

namespace ConsentService.Application.Search;

/// <summary>
/// Consent search parameters of FHIR R4. The R4 expressions name <c>Consent.provision</c>, i.e. the ROOT
/// provision only; nested provisions (<c>provision.provision</c>) are deliberately not indexed.
/// </summary>
internal static class ConsentSearchParameters
{
    private static readonly string[] ActorTypes =
        ["CareTeam", "Device", "Group", "Organization", "Patient", "Practitioner", "PractitionerRole", "RelatedPerson"];

    private static readonly string[] ConsentorTypes =
        ["Organization", "Patient", "Practitioner", "PractitionerRole", "RelatedPerson"];

    // Reference(Any): every R4 resource type except Parameters, which R4 never lists as a reference target.
    internal static readonly string[] AnyResourceType = [.. ModelInfo.SupportedResources.Where(t => t != "Parameters")];

    public static ResourceSearchParameters<Consent> All { get; } = new ResourceSearchParameters<Consent>("Consent")
        .Add("patient", SearchParamType.Reference, "Consent.patient", "Who the consent applies to",
            (c, x) => x.Reference(c.Patient), "Patient")
        .Add("status", SearchParamType.Token, "Consent.status", "draft | proposed | active | rejected | inactive | entered-in-error",
            (c, x) => x.Code(c.StatusElement))
        .Add("purpose", SearchParamType.Token, "Consent.provision.purpose", "Context of activities covered by this rule",
            (c, x) => x.Codings(c.Provision?.Purpose))
        .Add("scope", SearchParamType.Token, "Consent.scope", "Which of the four areas this resource covers (extensible)",
            (c, x) => x.Concept(c.Scope))
        .Add("category", SearchParamType.Token, "Consent.category", "Classification of the consent statement - for indexing/retrieval",
            (c, x) => x.Concepts(c.Category))
        .Add("date", SearchParamType.Date, "Consent.dateTime", "When this Consent was created or indexed",
            (c, x) => x.Date(c.DateTimeElement))
        .Add("period", SearchParamType.Date, "Consent.provision.period", "Timeframe for this rule",
            (c, x) => x.Date(c.Provision?.Period))
        .Add("actor", SearchParamType.Reference, "Consent.provision.actor.reference", "Resource for the actor (or group, by role)",
            (c, x) => x.References(c.Provision?.Actor, actor => actor.Reference), ActorTypes)
        .Add("action", SearchParamType.Token, "Consent.provision.action", "Actions controlled by this rule",
            (c, x) => x.Concepts(c.Provision?.Action))
        .Add("data", SearchParamType.Reference, "Consent.provision.data.reference", "The actual data reference",
            (c, x) => x.References(c.Provision?.Data, data => data.Reference), AnyResourceType)
        .Add("security-label", SearchParamType.Token, "Consent.provision.securityLabel", "Security Labels that define affected resources",
            (c, x) => x.Codings(c.Provision?.SecurityLabel))
        .Add("consentor", SearchParamType.Reference, "Consent.performer", "Who is agreeing to the policy and rules",
            (c, x) => x.References(c.Performer), ConsentorTypes)
        .Add("organization", SearchParamType.Reference, "Consent.organization", "Custodian of the consent",
            (c, x) => x.References(c.Organization), "Organization")
        // R4 writes the expression as plain "Consent.source" (a choice of Attachment | Reference); only the
        // Reference choice yields a reference value, so sourceAttachment produces no entry.
        .Add("source-reference", SearchParamType.Reference, "Consent.source",
            "Search by reference to a Consent, DocumentReference, Contract or QuestionnaireResponse",
            (c, x) => x.Reference(c.Source as ResourceReference),
            "Consent", "Contract", "DocumentReference", "QuestionnaireResponse")
        .Add("identifier", SearchParamType.Token, "Consent.identifier", "Identifier for this record (external references)",
            (c, x) => x.Identifiers(c.Identifier));
}
