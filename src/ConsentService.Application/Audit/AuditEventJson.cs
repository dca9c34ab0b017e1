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

    private readonly ArrayBufferWriter<byte>? _buffer;
    private readonly string _id;
    private readonly DateTimeOffset _recorded;
    private readonly string _recordedText;
    private readonly string _node;

    /// <summary>Starts the event: resourceType, id, type and subtype (one coding each).</summary>
    /// <param name="node">The node that recorded it (source.site); this node when null.</param>
    /// <param name="withJson">False: only the index entries are collected and nothing is written (a decision stores
    /// its decision record instead of this JSON; writing it only to drop it cost a decision about 4% of its CPU).</param>
    public AuditEventJson(string id, DateTimeOffset recorded, (string System, string Code, string Display) type,
        (string System, string Code, string Display) subtype, string? node = null, bool withJson = true)
    {
        _id = id;
        _node = node ?? ThisNode;
        _recorded = recorded;
        _recordedText = recorded.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", CultureInfo.InvariantCulture);
        if (withJson)
        {
            _buffer = new ArrayBufferWriter<byte>(3072);
            Writer = new Utf8JsonWriter(_buffer, WriterOptions);
        }
        Writer?.WriteStartObject();
        Writer?.WriteString("resourceType", "AuditEvent");
        Writer?.WriteString("id", id);
        Writer?.WritePropertyName("type");
        Coding(type.System, type.Code, type.Display);
        Writer?.WriteStartArray("subtype");
        Coding(subtype.System, subtype.Code, subtype.Display);
        Writer?.WriteEndArray();
        Add("type", SearchParamType.Token, type.System, type.Code);
        Add("subtype", SearchParamType.Token, subtype.System, subtype.Code);
    }

    /// <summary>The JSON being written; null when only the index entries are collected.</summary>
    public Utf8JsonWriter? Writer { get; }

    /// <summary>The JSON being written, for events always written as JSON.</summary>
    public Utf8JsonWriter Json => Writer ?? throw new InvalidOperationException("This event collects its index entries only.");

    public List<SearchIndexEntry> Index { get; } = new(16);

    /// <summary>action, recorded and outcome (with their index entries), in element order after subtype.</summary>
    public void ActionRecordedOutcome(string action, string outcome)
    {
        Writer?.WriteString("action", action);
        Writer?.WriteString("recorded", _recordedText);
        Writer?.WriteString("outcome", outcome);
        Add("action", SearchParamType.Token, null, action);
        Add("outcome", SearchParamType.Token, null, outcome);
    }

    /// <summary>The requesting client (<see cref="AuditEventParts.Client"/>) as one agent object, with its entries: its
    /// OAuth client id and the actor or patient its token binds it to (<see cref="RequestCaller"/>).</summary>
    public void ClientAgent(string? clientId, string? actor, string? patient)
    {
        Writer?.WriteStartObject();
        Writer?.WritePropertyName("type");
        Concept(Dcm, "110153", "Source Role ID");
        Writer?.WriteStartObject("who");
        var literal = (actor ?? (patient is not null ? "Patient/" + patient : null)) is { } callerReference
            ? FhirReferences.NormaliseLiteral(callerReference)
            : null;
        if (literal is not null)
        {
            Writer?.WriteString("reference", literal);
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
            Writer?.WriteStartObject("identifier");
            Writer?.WriteStartObject("type");
            Writer?.WriteString("text", "OAuth client_id");
            Writer?.WriteEndObject();
            Writer?.WriteString("value", clientId);
            Writer?.WriteEndObject();
            Add("agent", SearchParamType.Token, null, clientId);
        }
        Writer?.WriteString("display", clientId ?? "anonymous");
        Writer?.WriteEndObject();
        Writer?.WriteBoolean("requestor", true);
        Writer?.WriteEndObject();
    }

    /// <summary>This service (<see cref="AuditEventParts.Server"/>) as one agent object, with its entry.</summary>
    public void ServerAgent()
    {
        Writer?.WriteStartObject();
        Writer?.WritePropertyName("type");
        Concept(Dcm, "110152", "Destination Role ID");
        Writer?.WriteStartObject("who");
        Writer?.WriteString("reference", ServiceDevice);
        Writer?.WriteString("display", "ConsentService");
        Writer?.WriteEndObject();
        Writer?.WriteBoolean("requestor", false);
        Writer?.WriteEndObject();
        Add("agent", SearchParamType.Reference, null, ServiceDevice);
    }

    /// <summary>source (<see cref="AuditEventParts.Source"/>), with its entry.</summary>
    public void Source(string sourceTypeCode, string sourceTypeDisplay)
    {
        Writer?.WriteStartObject("source");
        Writer?.WriteString("site", _node);
        Writer?.WriteStartObject("observer");
        Writer?.WriteString("reference", ServiceDevice);
        Writer?.WriteString("display", $"ConsentService@{_node}");
        Writer?.WriteEndObject();
        Writer?.WriteStartArray("type");
        Coding(SourceType, sourceTypeCode, sourceTypeDisplay);
        Writer?.WriteEndArray();
        Writer?.WriteEndObject();
        Add("source", SearchParamType.Reference, null, ServiceDevice);
    }

    /// <summary>The patient an event concerns (<see cref="AuditEventParts.PatientEntity"/>), with its entries.</summary>
    public void PatientEntity(string patientReference)
    {
        Writer?.WriteStartObject();
        Writer?.WritePropertyName("what");
        Reference(patientReference, null, null);
        Writer?.WritePropertyName("type");
        Coding(EntityType, "1", "Person");
        Writer?.WritePropertyName("role");
        Coding(EntityRole, "1", "Patient");
        Writer?.WriteEndObject();
        Add("entity", SearchParamType.Reference, null, patientReference);
        Add("patient", SearchParamType.Reference, null, patientReference);
    }

    /// <summary>Starts a data entity (<see cref="AuditEventParts.DataEntity"/>): its what (reference and/or
    /// identifier, indexed as entity) and its type and role codings. The caller may add description or detail,
    /// then ends the object.</summary>
    public void StartDataEntity(string? reference, string? identifierSystem, string? identifierValue)
    {
        Writer?.WriteStartObject();
        Writer?.WritePropertyName("what");
        Reference(reference, identifierSystem, identifierValue);
        if (FhirReferences.NormaliseLiteral(reference) is { } literal)
        {
            Add("entity", SearchParamType.Reference, null, literal);
        }
        if (identifierValue is not null && !string.IsNullOrWhiteSpace(identifierSystem))
        {
            Add("entity", SearchParamType.Token, identifierSystem, identifierValue);
        }
        Writer?.WritePropertyName("type");
        Coding(EntityType, "2", "System Object");
        Writer?.WritePropertyName("role");
        Coding(EntityRole, "4", "Domain Resource");
    }

    /// <summary>Ends the event and returns it as a record: the JSON and the index entries, with the date entry.
    /// Without JSON the record's JSON is empty (the caller stores another form).</summary>
    public AuditRecord Finish()
    {
        Writer?.WriteEndObject();
        Writer?.Flush();
        FhirDateRange.TryParse(_recordedText, out var low, out var high);
        Index.Add(new SearchIndexEntry("date", SearchParamType.Date, null, null, low, high));
        return new AuditRecord(_id, _recorded, _buffer is null ? "" : Encoding.UTF8.GetString(_buffer.WrittenSpan)) { Index = Index };
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
        Writer?.WriteStartObject();
        Writer?.WriteString("system", system);
        Writer?.WriteString("code", code);
        if (display is not null)
        {
            Writer?.WriteString("display", display);
        }
        Writer?.WriteEndObject();
    }

    /// <summary>A CodeableConcept with one coding (no display) and a text, as Firely writes <c>new CodeableConcept(system, code, text)</c>.</summary>
    public void Concept(string system, string code, string text)
    {
        Writer?.WriteStartObject();
        Writer?.WriteStartArray("coding");
        Coding(system, code, display: null);
        Writer?.WriteEndArray();
        Writer?.WriteString("text", text);
        Writer?.WriteEndObject();
    }

    public void Reference(string? reference, string? identifierSystem, string? identifierValue)
    {
        Writer?.WriteStartObject();
        if (reference is not null)
        {
            Writer?.WriteString("reference", reference);
        }
        if (identifierValue is not null)
        {
            Writer?.WriteStartObject("identifier");
            Writer?.WriteString("system", identifierSystem);
            Writer?.WriteString("value", identifierValue);
            Writer?.WriteEndObject();
        }
        Writer?.WriteEndObject();
    }

    public void Dispose() => Writer?.Dispose();
}
