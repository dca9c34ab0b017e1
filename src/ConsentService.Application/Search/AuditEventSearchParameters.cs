using ConsentService.Application.Audit;
using Hl7.Fhir.Model;
using SearchParamType = ConsentService.Application.Ports.SearchParamType;

namespace ConsentService.Application.Search;

/// <summary>
/// AuditEvent search parameters of FHIR R4, plus the custom parameter <c>decision</c> (permit | deny) declared
/// by <see cref="DecisionDefinition"/>. Entries are extracted when an event is recorded; the audit index tables
/// hold them (no JSON is read at query time).
/// </summary>
internal static class AuditEventSearchParameters
{
    /// <summary>The canonical URL of the custom <c>decision</c> SearchParameter (CapabilityStatement searchParam.definition).</summary>
    public const string DecisionDefinition = "urn:consentservice:fhir:SearchParameter:AuditEvent-decision";

    private static readonly string[] AgentTypes = ["Device", "Organization", "Patient", "Practitioner", "PractitionerRole", "RelatedPerson"];

    public static ResourceSearchParameters<AuditEvent> All { get; } = new ResourceSearchParameters<AuditEvent>("AuditEvent")
        .Add("date", SearchParamType.Date, "AuditEvent.recorded", "Time when the event was recorded",
            (a, x) => x.Date(a.RecordedElement))
        .Add("type", SearchParamType.Token, "AuditEvent.type", "Type/identifier of event",
            (a, x) => x.Coding(a.Type))
        .Add("subtype", SearchParamType.Token, "AuditEvent.subtype", "More specific type/id for the event",
            (a, x) => x.Codings(a.Subtype))
        .Add("action", SearchParamType.Token, "AuditEvent.action", "Type of action performed during the event",
            (a, x) => x.Code(a.ActionElement))
        .Add("outcome", SearchParamType.Token, "AuditEvent.outcome", "Whether the event succeeded or failed",
            (a, x) => x.Code(a.OutcomeElement))
        .Add("agent", SearchParamType.Reference, "AuditEvent.agent.who", "Identifier of who",
            (a, x) => x.References(a.Agent, agent => agent.Who), AgentTypes)
        .Add("entity", SearchParamType.Reference, "AuditEvent.entity.what", "Specific instance of resource",
            (a, x) => x.References(a.Entity, entity => entity.What), ConsentSearchParameters.AnyResourceType)
        .Add("patient", SearchParamType.Reference,
            "AuditEvent.agent.who.where(resolve() is Patient) | AuditEvent.entity.what.where(resolve() is Patient)",
            "Identifier of the patient the event concerns",
            (a, x) =>
            {
                foreach (var agent in a.Agent) x.Reference(agent.Who, requiredType: "Patient");
                foreach (var entity in a.Entity) x.Reference(entity.What, requiredType: "Patient");
            }, "Patient")
        .Add("source", SearchParamType.Reference, "AuditEvent.source.observer", "The identity of source detecting the event",
            (a, x) => x.Reference(a.Source?.Observer), AgentTypes)
        .Add(AuditEventParts.DecisionDetail, SearchParamType.Token,
            $"AuditEvent.entity.detail.where(type='{AuditEventParts.DecisionDetail}').value",
            "The verdict of a consent decision: permit | deny",
            (a, x) =>
            {
                foreach (var detail in a.Entity.SelectMany(e => e.Detail))
                {
                    if (detail.Type == AuditEventParts.DecisionDetail && detail.Value is FhirString verdict) x.Token(null, verdict.Value);
                }
            });
}
