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
/// <remarks>
/// What is stored (and hash-chained) for a decision is its <b>decision record</b>: a small JSON object holding the
/// facts the event states (about 500 bytes; the FHIR event is about 2,400, most of it fixed codings). Every decision
/// writes one, so its size is what the audit costs: bytes hashed, written to the WAL, fsynced and checkpointed. The
/// FHIR AuditEvent is rendered from it, always the same way, wherever an event is read (<see cref="StoredAuditEvents"/>):
/// FHIR read and search, export, the accounting of disclosures, the index rebuild. The record begins with
/// <c>{"decisionEvent":1,</c>; the number is the version of its layout.
/// </remarks>
public static class DecisionAuditEvent
{
    private const string Marker = "{\"decisionEvent\":1,";

    /// <summary>The audit record of a decision: its decision record as the stored form, with the search index entries
    /// of the FHIR event it renders to.</summary>
    /// <param name="patientReference">The study's subject ("Patient/x"), null for an unknown study.</param>
    public static AuditRecord Build(DecisionResult result, string? patientReference, RequestCaller caller, DateTimeOffset recorded)
    {
        // Only the FHIR event's index entries are collected, nothing is written (readers render the event from the record).
        var fhir = Fhir(result, patientReference, caller.ClientId, caller.Actor, caller.Patient, recorded, AuditEventJson.ThisNode, withJson: false);
        return fhir with { Json = DecisionRecord(result, patientReference, caller, recorded, AuditEventJson.ThisNode) };
    }

    /// <summary>Whether a stored audit JSON is a decision record (else it is a FHIR AuditEvent).</summary>
    public static bool IsDecisionRecord(string stored) => stored.StartsWith(Marker, StringComparison.Ordinal);

    /// <summary>The FHIR AuditEvent (its JSON and index entries) a decision record renders to.</summary>
    public static AuditRecord Render(string decisionRecord)
    {
        using var document = JsonDocument.Parse(decisionRecord);
        var r = document.RootElement;
        var recorded = new DateTimeOffset(r.GetProperty("recorded").GetInt64(), TimeSpan.Zero);
        var obligations = r.TryGetProperty("obligations", out var list)
            ? list.EnumerateArray().Select(o => new ObligationCoding(o[0].GetString()!, o[1].GetString()!, "")).ToArray()
            : [];
        var result = new DecisionResult(
            DecisionId: r.GetProperty("id").GetString()!,
            Decision: r.GetProperty("decision").GetString()!,
            Basis: r.GetProperty("basis").GetString()!,
            Study: r.GetProperty("study").GetString()!,
            ImagingStudy: Text(r, "imagingStudy"),
            Actor: r.GetProperty("actor").GetString()!,
            Purpose: new PurposeCoding(Text(r, "purposeSystem"), Text(r, "purposeCode")),
            Action: r.GetProperty("action").GetString()!,
            At: recorded,
            Consent: Text(r, "consent"),
            ProvisionPath: Text(r, "provisionPath"),
            Reasons: [],
            Obligations: obligations,
            Policy: new PolicyRef(r.GetProperty("policyId").GetString()!, r.GetProperty("policyVersion").GetString()!));
        return Fhir(result, Text(r, "patient"), Text(r, "clientId"), Text(r, "callerActor"), Text(r, "callerPatient"), recorded,
            r.GetProperty("node").GetString()!, withJson: true);
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>The decision record: every fact the FHIR event states, and nothing else (no reasons: they are the
    /// caller's explanation, not part of the event).</summary>
    private static string DecisionRecord(DecisionResult result, string? patientReference, RequestCaller caller, DateTimeOffset recorded, string node)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(640);
        using (var json = new Utf8JsonWriter(buffer, AuditEventJson.WriterOptions))
        {
            json.WriteStartObject();
            json.WriteNumber("decisionEvent", 1);
            json.WriteString("id", result.DecisionId);
            json.WriteNumber("recorded", recorded.UtcTicks);
            json.WriteString("node", node);
            json.WriteString("decision", result.Decision);
            json.WriteString("basis", result.Basis);
            json.WriteString("study", result.Study);
            Optional(json, "imagingStudy", result.ImagingStudy);
            json.WriteString("actor", result.Actor);
            Optional(json, "purposeSystem", result.Purpose.System);
            Optional(json, "purposeCode", result.Purpose.Code);
            json.WriteString("action", result.Action);
            Optional(json, "consent", result.Consent);
            Optional(json, "provisionPath", result.ProvisionPath);
            if (result.Obligations.Count > 0)
            {
                json.WriteStartArray("obligations");
                foreach (var obligation in result.Obligations)
                {
                    json.WriteStartArray();
                    json.WriteStringValue(obligation.System);
                    json.WriteStringValue(obligation.Code);
                    json.WriteEndArray();
                }
                json.WriteEndArray();
            }
            json.WriteString("policyId", result.Policy.Id);
            json.WriteString("policyVersion", result.Policy.Version);
            Optional(json, "patient", patientReference);
            Optional(json, "clientId", caller.ClientId);
            Optional(json, "callerActor", caller.Actor);
            Optional(json, "callerPatient", caller.Patient);
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void Optional(Utf8JsonWriter json, string name, string? value)
    {
        if (value is not null)
        {
            json.WriteString(name, value);
        }
    }

    /// <summary>
    /// The FHIR event, written directly (<see cref="AuditEventJson"/>). Its content and index entries are exactly those
    /// of the equivalent <see cref="AuditEvent"/> POCO built from <see cref="AuditEventParts"/> and indexed by
    /// <see cref="SearchIndexer"/>; a test proves it on generated decisions, through the decision record.
    /// </summary>
    private static AuditRecord Fhir(DecisionResult result, string? patientReference, string? clientId, string? callerActor,
        string? callerPatient, DateTimeOffset recorded, string node, bool withJson)
    {
        var permit = result.Decision == DecisionValues.Permit;
        using var audit = new AuditEventJson(result.DecisionId, recorded, (Dcm, SecurityAlert, "Security Alert"),
            (BalpAuthZSubtype, AuthZConsent, "Authorization Decision using Roles and Consent"), node, withJson);
        var json = audit.Writer;
        audit.ActionRecordedOutcome("E", permit ? "0" : "8");
        json?.WriteString("outcomeDesc", permit ? "Permit" : result.Basis == DecisionValues.BasisUnknownStudy ? "Deny: unknown study" : "Deny");
        json?.WriteStartArray("purposeOfEvent");
        Purpose(json, result.Purpose);
        json?.WriteEndArray();

        json?.WriteStartArray("agent");
        json?.WriteStartObject(); // the recipient
        json?.WritePropertyName("type");
        audit.Concept(ParticipationType, Recipient, "information recipient");
        json?.WritePropertyName("who");
        audit.Reference(result.Actor, identifierSystem: null, identifierValue: null);
        json?.WriteBoolean("requestor", false);
        json?.WriteStartArray("purposeOfUse");
        Purpose(json, result.Purpose);
        json?.WriteEndArray();
        json?.WriteEndObject();
        audit.Add("agent", SearchParamType.Reference, null, result.Actor);
        audit.ClientAgent(clientId, callerActor, callerPatient);
        audit.ServerAgent();
        json?.WriteEndArray();
        audit.Source("6", "Security Server");

        json?.WriteStartArray("entity");
        if (patientReference is not null)
        {
            audit.PatientEntity(patientReference);
        }
        audit.StartDataEntity(result.ImagingStudy, StudyUidKey.DicomUidSystem, $"{StudyUidKey.OidPrefix}{result.Study}");
        json?.WriteStartArray("detail");
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
        json?.WriteEndArray();
        json?.WriteEndObject();
        audit.Add(DecisionDetail, SearchParamType.Token, null, result.Decision);
        if (result.Consent is { } consent)
        {
            audit.StartDataEntity(consent, null, null);
            json?.WriteString("description", "The Consent version the decision rests on");
            json?.WriteEndObject();
        }
        json?.WriteEndArray();
        return audit.Finish();
    }

    private static void Purpose(Utf8JsonWriter? json, PurposeCoding purpose)
    {
        if (json is null)
        {
            return;
        }
        json?.WriteStartObject();
        json?.WriteStartArray("coding");
        json?.WriteStartObject();
        if (purpose.System is { } system)
        {
            json?.WriteString("system", system);
        }
        if (purpose.Code is { } code)
        {
            json?.WriteString("code", code);
        }
        json?.WriteEndObject();
        json?.WriteEndArray();
        json?.WriteEndObject();
    }

    private static void Detail(Utf8JsonWriter? json, string type, string value)
    {
        if (json is null)
        {
            return;
        }
        json?.WriteStartObject();
        json?.WriteString("type", type);
        json?.WriteString("valueString", value);
        json?.WriteEndObject();
    }
}
