using ConsentService.Application.Security;
using ConsentService.Application.Ports;
using Hl7.Fhir.Model;
using static ConsentService.Application.Audit.AuditEventParts;

namespace ConsentService.Application.Audit;

/// <summary>An access the service refused (authentication or authorization failure).</summary>
/// <param name="Interaction">What was attempted: a FHIR restful-interaction code (read, vread, search-type,
/// history-instance, history-type, create, update, delete) or an API operation (decide, audit-verify, ...).</param>
/// <param name="Target">What it was aimed at, when known: "Consent/123", "Consent", "/api/v1/decisions".</param>
/// <param name="Patient">The patient concerned, when the service knows it without revealing anything ("Patient/x").</param>
/// <param name="Status">The HTTP status answered (401, 403, 404 for a hidden resource, 429).</param>
/// <param name="Reason">Why, in the service's words (no PHI: names scopes and rules, not values).</param>
public sealed record RefusedAccess(string Interaction, string? Target, string? Patient, int Status, string Reason);

/// <summary>
/// The AuditEvent of a refused access: FHIR's "Access Denied" pattern that BALP points to: type DCM 110113
/// Security Alert, subtype the interaction attempted, action E, outcome 4 (minor failure: the request was
/// refused, the HTTP 4xx family), outcomeDesc the reason and status.
/// </summary>
public static class RefusalAuditEvent
{
    public static AuditRecord Build(RefusedAccess refusal, RequestCaller caller, DateTimeOffset recorded)
    {
        ArgumentNullException.ThrowIfNull(refusal);
        var audit = new AuditEvent
        {
            Id = NewEventId(),
            Type = new Coding(Dcm, SecurityAlert, "Security Alert"),
            Subtype = [refusal.Interaction is "read" or "vread" or "update" or "patch" or "delete" or "history-instance"
                or "history-type" or "create" or "search-type" or "search-system" or "history-system" or "capabilities"
                ? Interaction(refusal.Interaction)
                : new Coding("urn:consentservice:operation", refusal.Interaction)],
            Action = AuditEvent.AuditEventAction.E,
            Recorded = recorded,
            Outcome = AuditEvent.AuditEventOutcome.N4,
            OutcomeDesc = $"{refusal.Status}: {refusal.Reason}",
            Agent = [Client(caller), Server()],
            Source = Source("6", "Security Server"),
        };
        if (refusal.Target is { } target)
        {
            audit.Entity.Add(DataEntity(new ResourceReference { Reference = target.Contains('/', StringComparison.Ordinal) && !target.StartsWith('/') ? target : null, Display = target }));
        }
        if (refusal.Patient is { } patient)
        {
            audit.Entity.Add(PatientEntity(patient));
        }
        return Record(audit);
    }
}
