using ConsentService.Application.Security;
using ConsentService.Application.Decisions;
using ConsentService.Application.Ports;
using SearchParamType = ConsentService.Application.Ports.SearchParamType;
using ConsentService.Domain.Fhir;
using System.Text.Json;
using static ConsentService.Application.Audit.AuditEventParts;

namespace ConsentService.Application.Audit;

/// <summary>
/// Builds the AuditEvent of one decision, after IHE BALP's consent authorization decision pattern
/// (IHE.BasicAudit.AuthZconsent): type DCM 110113 "Security Alert", subtype AuthZ-Consent, action E (execute),
/// outcome 0 for a permit and 8 for a deny. One event concerns exactly one study, hence one patient. The verdict,
/// basis and obligations travel in entity.detail. Its id is the decision's decisionId.
/// </summary>
public static class DecisionAuditEvent
{
    /// <summary>
    /// The event's JSON is written directly (<see cref="AuditEventJson"/>: every decision writes one, so this is on
    /// the hot path). Its content and index entries are exactly those of the equivalent <see cref="AuditEvent"/> POCO
    /// built from <see cref="AuditEventParts"/> and indexed by <see cref="SearchIndexer"/>; a test proves it on
    /// generated decisions.
    /// </summary>
    /// <param name="patientReference">The study's subject ("Patient/x"), null for an unknown study.</param>
    public static AuditRecord Build(DecisionResult result, string? patientReference, RequestCaller caller, DateTimeOffset recorded)
    {
        var permit = result.Decision == DecisionValues.Permit;
        using var audit = new AuditEventJson(result.DecisionId, recorded, (Dcm, SecurityAlert, "Security Alert"),
            (BalpAuthZSubtype, AuthZConsent, "Authorization Decision using Roles and Consent"));
        var json = audit.Json;
        audit.ActionRecordedOutcome("E", permit ? "0" : "8");
        json.WriteString("outcomeDesc", permit ? "Permit" : result.Basis == DecisionValues.BasisUnknownStudy ? "Deny: unknown study" : "Deny");
        json.WriteStartArray("purposeOfEvent");
        Purpose(json, result.Purpose);
        json.WriteEndArray();

        json.WriteStartArray("agent");
        json.WriteStartObject(); // the recipient
        json.WritePropertyName("type");
        audit.Concept(ParticipationType, Recipient, "information recipient");
        json.WritePropertyName("who");
        audit.Reference(result.Actor, identifierSystem: null, identifierValue: null);
        json.WriteBoolean("requestor", false);
        json.WriteStartArray("purposeOfUse");
        Purpose(json, result.Purpose);
        json.WriteEndArray();
        json.WriteEndObject();
        audit.Add("agent", SearchParamType.Reference, null, result.Actor);
        audit.ClientAgent(caller);
        audit.ServerAgent();
        json.WriteEndArray();
        audit.Source("6", "Security Server");

        json.WriteStartArray("entity");
        if (patientReference is not null)
        {
            audit.PatientEntity(patientReference);
        }
        audit.StartDataEntity(result.ImagingStudy, StudyUidKey.DicomUidSystem, $"{StudyUidKey.OidPrefix}{result.Study}");
        json.WriteStartArray("detail");
        Detail(json, DecisionDetail, result.Decision);
        Detail(json, "basis", result.Basis);
        Detail(json, "action", result.Action);
        Detail(json, "policy", $"{result.Policy.Id}|{result.Policy.Version}");
        if (result.ProvisionPath is { } path)
        {
            Detail(json, "provisionPath", path);
        }
        foreach (var obligation in result.Obligations)
        {
            Detail(json, "obligation", $"{obligation.System}|{obligation.Code}");
        }
        json.WriteEndArray();
        json.WriteEndObject();
        audit.Add(DecisionDetail, SearchParamType.Token, null, result.Decision);
        if (result.Consent is { } consent)
        {
            audit.StartDataEntity(consent, null, null);
            json.WriteString("description", "The Consent version the decision rests on");
            json.WriteEndObject();
        }
        json.WriteEndArray();
        return audit.Finish();
    }

    private static void Purpose(Utf8JsonWriter json, PurposeCoding purpose)
    {
        json.WriteStartObject();
        json.WriteStartArray("coding");
        json.WriteStartObject();
        if (purpose.System is { } system)
        {
            json.WriteString("system", system);
        }
        if (purpose.Code is { } code)
        {
            json.WriteString("code", code);
        }
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void Detail(Utf8JsonWriter json, string type, string value)
    {
        json.WriteStartObject();
        json.WriteString("type", type);
        json.WriteString("valueString", value);
        json.WriteEndObject();
    }
}
