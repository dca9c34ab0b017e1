using ConsentService.Application.Security;
using ConsentService.Application.Decisions;
using ConsentService.Application.Ports;
using SearchParamType = ConsentService.Application.Ports.SearchParamType;
using ConsentService.Domain.Fhir;
using System.Buffers;
using System.Globalization;
using System.Text;
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
    private static readonly string Node = Environment.MachineName;
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// The event's JSON is written directly (every decision writes one, so this is on the hot path: building
    /// Firely POCOs and serialising them cost about ten times more). Its content and index entries are exactly
    /// those of the equivalent <see cref="AuditEvent"/> POCO built from <see cref="AuditEventParts"/> and indexed by
    /// <see cref="SearchIndexer"/>; a test proves it on generated decisions.
    /// </summary>
    /// <param name="patientReference">The study's subject ("Patient/x"), null for an unknown study.</param>
    public static AuditRecord Build(DecisionResult result, string? patientReference, RequestCaller caller, DateTimeOffset recorded)
    {
        var permit = result.Decision == DecisionValues.Permit;
        var recordedText = recorded.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", CultureInfo.InvariantCulture);
        var index = new List<SearchIndexEntry>(16);
        var buffer = new ArrayBufferWriter<byte>(3072);
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("resourceType", "AuditEvent");
            json.WriteString("id", result.DecisionId);
            json.WritePropertyName("type");
            Coding(json, Dcm, SecurityAlert, "Security Alert");
            json.WriteStartArray("subtype");
            Coding(json, BalpAuthZSubtype, AuthZConsent, "Authorization Decision using Roles and Consent");
            json.WriteEndArray();
            json.WriteString("action", "E");
            json.WriteString("recorded", recordedText);
            json.WriteString("outcome", permit ? "0" : "8");
            json.WriteString("outcomeDesc", permit ? "Permit" : result.Basis == DecisionValues.BasisUnknownStudy ? "Deny: unknown study" : "Deny");
            json.WriteStartArray("purposeOfEvent");
            Purpose(json, result.Purpose);
            json.WriteEndArray();

            json.WriteStartArray("agent");
            json.WriteStartObject(); // the recipient
            json.WritePropertyName("type");
            Concept(json, ParticipationType, Recipient, "information recipient");
            json.WritePropertyName("who");
            Reference(json, result.Actor, identifierSystem: null, identifierValue: null);
            json.WriteBoolean("requestor", false);
            json.WriteStartArray("purposeOfUse");
            Purpose(json, result.Purpose);
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteStartObject(); // the requesting client
            json.WritePropertyName("type");
            Concept(json, Dcm, "110153", "Source Role ID");
            json.WriteStartObject("who");
            var literal = (caller.Actor ?? (caller.Patient is { } patient ? "Patient/" + patient : null)) is { } callerReference
                ? FhirReferences.NormaliseLiteral(callerReference)
                : null;
            if (literal is not null)
            {
                json.WriteString("reference", literal);
                Add(index, "agent", SearchParamType.Reference, null, literal);
            }
            // R4 patient: agent.who and entity.what that are Patients (identifier included).
            var callerIsPatient = literal is not null && literal.StartsWith("Patient/", StringComparison.Ordinal);
            if (callerIsPatient)
            {
                Add(index, "patient", SearchParamType.Reference, null, literal!);
            }
            if (caller.ClientId is { } clientId)
            {
                if (callerIsPatient)
                {
                    Add(index, "patient", SearchParamType.Token, null, clientId);
                }
                json.WriteStartObject("identifier");
                json.WriteStartObject("type");
                json.WriteString("text", "OAuth client_id");
                json.WriteEndObject();
                json.WriteString("value", clientId);
                json.WriteEndObject();
                Add(index, "agent", SearchParamType.Token, null, clientId);
            }
            json.WriteString("display", caller.ClientId ?? "anonymous");
            json.WriteEndObject();
            json.WriteBoolean("requestor", true);
            json.WriteEndObject();
            json.WriteStartObject(); // this service
            json.WritePropertyName("type");
            Concept(json, Dcm, "110152", "Destination Role ID");
            json.WriteStartObject("who");
            json.WriteString("reference", ServiceDevice);
            json.WriteString("display", "ConsentService");
            json.WriteEndObject();
            json.WriteBoolean("requestor", false);
            json.WriteEndObject();
            json.WriteEndArray();
            Add(index, "agent", SearchParamType.Reference, null, result.Actor);
            Add(index, "agent", SearchParamType.Reference, null, ServiceDevice);

            json.WriteStartObject("source");
            json.WriteString("site", Node);
            json.WriteStartObject("observer");
            json.WriteString("reference", ServiceDevice);
            json.WriteString("display", $"ConsentService@{Node}");
            json.WriteEndObject();
            json.WriteStartArray("type");
            Coding(json, SourceType, "6", "Security Server");
            json.WriteEndArray();
            json.WriteEndObject();
            Add(index, "source", SearchParamType.Reference, null, ServiceDevice);

            json.WriteStartArray("entity");
            if (patientReference is not null)
            {
                json.WriteStartObject();
                json.WritePropertyName("what");
                Reference(json, patientReference, null, null);
                json.WritePropertyName("type");
                Coding(json, EntityType, "1", "Person");
                json.WritePropertyName("role");
                Coding(json, EntityRole, "1", "Patient");
                json.WriteEndObject();
                Add(index, "entity", SearchParamType.Reference, null, patientReference);
                Add(index, "patient", SearchParamType.Reference, null, patientReference);
            }
            var studyIdentifier = $"{StudyUidKey.OidPrefix}{result.Study}";
            json.WriteStartObject();
            json.WritePropertyName("what");
            Reference(json, result.ImagingStudy, StudyUidKey.DicomUidSystem, studyIdentifier);
            if (result.ImagingStudy is { } imagingStudy)
            {
                Add(index, "entity", SearchParamType.Reference, null, imagingStudy);
            }
            Add(index, "entity", SearchParamType.Token, StudyUidKey.DicomUidSystem, studyIdentifier);
            DataEntityCodings(json);
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
            Add(index, DecisionDetail, SearchParamType.Token, null, result.Decision);
            if (result.Consent is { } consent)
            {
                json.WriteStartObject();
                json.WritePropertyName("what");
                Reference(json, consent, null, null);
                DataEntityCodings(json);
                json.WriteString("description", "The Consent version the decision rests on");
                json.WriteEndObject();
                if (FhirReferences.NormaliseLiteral(consent) is { } consentReference)
                {
                    Add(index, "entity", SearchParamType.Reference, null, consentReference);
                }
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        FhirDateRange.TryParse(recordedText, out var low, out var high);
        index.Add(new SearchIndexEntry("date", SearchParamType.Date, null, null, low, high));
        Add(index, "type", SearchParamType.Token, Dcm, SecurityAlert);
        Add(index, "subtype", SearchParamType.Token, BalpAuthZSubtype, AuthZConsent);
        Add(index, "action", SearchParamType.Token, null, "E");
        Add(index, "outcome", SearchParamType.Token, null, permit ? "0" : "8");
        return new AuditRecord(result.DecisionId, recorded, Encoding.UTF8.GetString(buffer.WrittenSpan)) { Index = index };
    }

    /// <summary>Adds an entry once (the indexer keeps one entry per distinct value of a parameter).</summary>
    private static void Add(List<SearchIndexEntry> index, string parameter, SearchParamType type, string? system, string value)
    {
        var entry = new SearchIndexEntry(parameter, type, system, value);
        if (!index.Contains(entry))
        {
            index.Add(entry);
        }
    }

    private static void Coding(Utf8JsonWriter json, string system, string code, string? display)
    {
        json.WriteStartObject();
        json.WriteString("system", system);
        json.WriteString("code", code);
        if (display is not null)
        {
            json.WriteString("display", display);
        }
        json.WriteEndObject();
    }

    /// <summary>A CodeableConcept with one coding (no display) and a text, as Firely writes <c>new CodeableConcept(system, code, text)</c>.</summary>
    private static void Concept(Utf8JsonWriter json, string system, string code, string text)
    {
        json.WriteStartObject();
        json.WriteStartArray("coding");
        Coding(json, system, code, display: null);
        json.WriteEndArray();
        json.WriteString("text", text);
        json.WriteEndObject();
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

    private static void Reference(Utf8JsonWriter json, string? reference, string? identifierSystem, string? identifierValue)
    {
        json.WriteStartObject();
        if (reference is not null)
        {
            json.WriteString("reference", reference);
        }
        if (identifierValue is not null)
        {
            json.WriteStartObject("identifier");
            json.WriteString("system", identifierSystem);
            json.WriteString("value", identifierValue);
            json.WriteEndObject();
        }
        json.WriteEndObject();
    }

    private static void DataEntityCodings(Utf8JsonWriter json)
    {
        json.WritePropertyName("type");
        Coding(json, EntityType, "2", "System Object");
        json.WritePropertyName("role");
        Coding(json, EntityRole, "4", "Domain Resource");
    }

    private static void Detail(Utf8JsonWriter json, string type, string value)
    {
        json.WriteStartObject();
        json.WriteString("type", type);
        json.WriteString("valueString", value);
        json.WriteEndObject();
    }
}
