using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using ConsentService.Application.Ports;
using ConsentService.Application.Security;
using ConsentService.Domain.Fhir;
using static ConsentService.Application.Audit.AuditEventParts;
using SearchParamType = ConsentService.Application.Ports.SearchParamType;

namespace ConsentService.Application.Audit;

/// <summary>
/// Writes the AuditEvents recorded on hot paths (every decision, every resource write) directly as JSON, with
/// their search index entries, instead of building Firely POCOs and serialising them (about ten times cheaper).
/// Each element written here is the one <see cref="AuditEventParts"/> builds as a POCO, and each index entry the
/// one <see cref="Search.SearchIndexer"/> extracts from it; DecisionAuditEventTests and WriteAuditEventTests prove
/// both on generated events. Elements are written in FHIR element order, as Firely writes them.
/// </summary>
internal sealed class AuditEventJson : IDisposable
{
    /// <summary>This node (source.site): events name the node that recorded them.</summary>
    public static readonly string ThisNode = Environment.MachineName;
    /// <summary>How the service writes audit JSON (also the decision record): no escaping beyond what JSON requires.</summary>
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly ArrayBufferWriter<byte> _buffer = new(3072);
    private readonly string _id;
    private readonly DateTimeOffset _recorded;
    private readonly string _recordedText;
    private readonly string _node;

    /// <summary>Starts the event: resourceType, id, type and subtype (one coding each).</summary>
    /// <param name="node">The node that recorded it (source.site); this node when null.</param>
    public AuditEventJson(string id, DateTimeOffset recorded, (string System, string Code, string Display) type,
        (string System, string Code, string Display) subtype, string? node = null)
    {
        _id = id;
        _node = node ?? ThisNode;
        _recorded = recorded;
        _recordedText = recorded.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", CultureInfo.InvariantCulture);
        Json = new Utf8JsonWriter(_buffer, WriterOptions);
        Json.WriteStartObject();
        Json.WriteString("resourceType", "AuditEvent");
        Json.WriteString("id", id);
        Json.WritePropertyName("type");
        Coding(type.System, type.Code, type.Display);
        Json.WriteStartArray("subtype");
        Coding(subtype.System, subtype.Code, subtype.Display);
        Json.WriteEndArray();
        Add("type", SearchParamType.Token, type.System, type.Code);
        Add("subtype", SearchParamType.Token, subtype.System, subtype.Code);
    }

    public Utf8JsonWriter Json { get; }

    public List<SearchIndexEntry> Index { get; } = new(16);

    /// <summary>action, recorded and outcome (with their index entries), in element order after subtype.</summary>
    public void ActionRecordedOutcome(string action, string outcome)
    {
        Json.WriteString("action", action);
        Json.WriteString("recorded", _recordedText);
        Json.WriteString("outcome", outcome);
        Add("action", SearchParamType.Token, null, action);
        Add("outcome", SearchParamType.Token, null, outcome);
    }

    /// <summary>The requesting client (<see cref="AuditEventParts.Client"/>) as one agent object, with its entries: its
    /// OAuth client id and the actor or patient its token binds it to (<see cref="RequestCaller"/>).</summary>
    public void ClientAgent(string? clientId, string? actor, string? patient)
    {
        Json.WriteStartObject();
        Json.WritePropertyName("type");
        Concept(Dcm, "110153", "Source Role ID");
        Json.WriteStartObject("who");
        var literal = (actor ?? (patient is not null ? "Patient/" + patient : null)) is { } callerReference
            ? FhirReferences.NormaliseLiteral(callerReference)
            : null;
        if (literal is not null)
        {
            Json.WriteString("reference", literal);
            Add("agent", SearchParamType.Reference, null, literal);
        }
        // R4 patient: agent.who and entity.what that are Patients (identifier included).
        var callerIsPatient = literal is not null && literal.StartsWith("Patient/", StringComparison.Ordinal);
        if (callerIsPatient)
        {
            Add("patient", SearchParamType.Reference, null, literal!);
        }
        if (clientId is not null)
        {
            if (callerIsPatient)
            {
                Add("patient", SearchParamType.Token, null, clientId);
            }
            Json.WriteStartObject("identifier");
            Json.WriteStartObject("type");
            Json.WriteString("text", "OAuth client_id");
            Json.WriteEndObject();
            Json.WriteString("value", clientId);
            Json.WriteEndObject();
            Add("agent", SearchParamType.Token, null, clientId);
        }
        Json.WriteString("display", clientId ?? "anonymous");
        Json.WriteEndObject();
        Json.WriteBoolean("requestor", true);
        Json.WriteEndObject();
    }

    /// <summary>This service (<see cref="AuditEventParts.Server"/>) as one agent object, with its entry.</summary>
    public void ServerAgent()
    {
        Json.WriteStartObject();
        Json.WritePropertyName("type");
        Concept(Dcm, "110152", "Destination Role ID");
        Json.WriteStartObject("who");
        Json.WriteString("reference", ServiceDevice);
        Json.WriteString("display", "ConsentService");
        Json.WriteEndObject();
        Json.WriteBoolean("requestor", false);
        Json.WriteEndObject();
        Add("agent", SearchParamType.Reference, null, ServiceDevice);
    }

    /// <summary>source (<see cref="AuditEventParts.Source"/>), with its entry.</summary>
    public void Source(string sourceTypeCode, string sourceTypeDisplay)
    {
        Json.WriteStartObject("source");
        Json.WriteString("site", _node);
        Json.WriteStartObject("observer");
        Json.WriteString("reference", ServiceDevice);
        Json.WriteString("display", $"ConsentService@{_node}");
        Json.WriteEndObject();
        Json.WriteStartArray("type");
        Coding(SourceType, sourceTypeCode, sourceTypeDisplay);
        Json.WriteEndArray();
        Json.WriteEndObject();
        Add("source", SearchParamType.Reference, null, ServiceDevice);
    }

    /// <summary>The patient an event concerns (<see cref="AuditEventParts.PatientEntity"/>), with its entries.</summary>
    public void PatientEntity(string patientReference)
    {
        Json.WriteStartObject();
        Json.WritePropertyName("what");
        Reference(patientReference, null, null);
        Json.WritePropertyName("type");
        Coding(EntityType, "1", "Person");
        Json.WritePropertyName("role");
        Coding(EntityRole, "1", "Patient");
        Json.WriteEndObject();
        Add("entity", SearchParamType.Reference, null, patientReference);
        Add("patient", SearchParamType.Reference, null, patientReference);
    }

    /// <summary>Starts a data entity (<see cref="AuditEventParts.DataEntity"/>): its what (reference and/or
    /// identifier, indexed as entity) and its type and role codings. The caller may add description or detail,
    /// then ends the object.</summary>
    public void StartDataEntity(string? reference, string? identifierSystem, string? identifierValue)
    {
        Json.WriteStartObject();
        Json.WritePropertyName("what");
        Reference(reference, identifierSystem, identifierValue);
        if (FhirReferences.NormaliseLiteral(reference) is { } literal)
        {
            Add("entity", SearchParamType.Reference, null, literal);
        }
        if (identifierValue is not null && !string.IsNullOrWhiteSpace(identifierSystem))
        {
            Add("entity", SearchParamType.Token, identifierSystem, identifierValue);
        }
        Json.WritePropertyName("type");
        Coding(EntityType, "2", "System Object");
        Json.WritePropertyName("role");
        Coding(EntityRole, "4", "Domain Resource");
    }

    /// <summary>Ends the event and returns it as a record: the JSON and the index entries, with the date entry.
    /// Without <paramref name="withJson"/> the record's JSON is empty (the caller stores another form).</summary>
    public AuditRecord Finish(bool withJson = true)
    {
        Json.WriteEndObject();
        Json.Flush();
        FhirDateRange.TryParse(_recordedText, out var low, out var high);
        Index.Add(new SearchIndexEntry("date", SearchParamType.Date, null, null, low, high));
        return new AuditRecord(_id, _recorded, withJson ? Encoding.UTF8.GetString(_buffer.WrittenSpan) : "") { Index = Index };
    }

    /// <summary>Adds an entry once (the indexer keeps one entry per distinct value of a parameter).</summary>
    public void Add(string parameter, SearchParamType type, string? system, string value)
    {
        var entry = new SearchIndexEntry(parameter, type, system, value);
        if (!Index.Contains(entry))
        {
            Index.Add(entry);
        }
    }

    public void Coding(string system, string code, string? display)
    {
        Json.WriteStartObject();
        Json.WriteString("system", system);
        Json.WriteString("code", code);
        if (display is not null)
        {
            Json.WriteString("display", display);
        }
        Json.WriteEndObject();
    }

    /// <summary>A CodeableConcept with one coding (no display) and a text, as Firely writes <c>new CodeableConcept(system, code, text)</c>.</summary>
    public void Concept(string system, string code, string text)
    {
        Json.WriteStartObject();
        Json.WriteStartArray("coding");
        Coding(system, code, display: null);
        Json.WriteEndArray();
        Json.WriteString("text", text);
        Json.WriteEndObject();
    }

    public void Reference(string? reference, string? identifierSystem, string? identifierValue)
    {
        Json.WriteStartObject();
        if (reference is not null)
        {
            Json.WriteString("reference", reference);
        }
        if (identifierValue is not null)
        {
            Json.WriteStartObject("identifier");
            Json.WriteString("system", identifierSystem);
            Json.WriteString("value", identifierValue);
            Json.WriteEndObject();
        }
        Json.WriteEndObject();
    }

    public void Dispose() => Json.Dispose();
}
