using ConsentService.Application.Security;
using System.Globalization;
using System.Text;
using ConsentService.Application.Ports;
using ConsentService.Domain.Fhir;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using static ConsentService.Application.Audit.AuditEventParts;

namespace ConsentService.Application.Audit;

/// <summary>
/// AuditEvents of the FHIR REST interactions, after BALP's RESTful patterns: PatientCreate / PatientUpdate /
/// PatientDelete for writes, PatientRead for read and vread, PatientQuery for searches and history (type
/// audit-event-type#rest, subtype restful-interaction#&lt;interaction&gt;). Every event names the version it
/// concerns as <c>Type/id/_history/v</c> and, as a separate entity, the patient it is about.
/// </summary>
public static class ResourceAuditEvents
{
    /// <summary>The event of a create, update or delete (<paramref name="written"/> is a delete version). Written
    /// directly as JSON (<see cref="AuditEventJson"/>): every write records one inside the store's write transaction,
    /// on its single writer, so this is on the serial path of every bulk load. A test proves it equals the
    /// <see cref="AuditEvent"/> POCO built from <see cref="AuditEventParts"/>.</summary>
    /// <param name="resource">The resource written (null for a delete).</param>
    /// <param name="previous">The version superseded; for a delete it names the patient.</param>
    public static AuditRecord Write(StoredResource written, StoredResource? previous, Resource? resource, RequestCaller caller)
    {
        var (interaction, action) = written.IsDeleted ? ("delete", "D")
            : previous is null || previous.IsDeleted ? ("create", "C")
            : ("update", "U");
        var subject = resource ?? (previous is { IsDeleted: false } ? Parse(previous.Json) : null);
        var patient = PatientOf(subject);
        using var audit = new AuditEventJson(NewEventId(), written.LastUpdated,
            (AuditEventType, "rest", "Restful Operation"), (RestfulInteraction, interaction, interaction));
        var json = audit.Json;
        audit.ActionRecordedOutcome(action, "0");
        json.WriteStartArray("agent");
        audit.ClientAgent(caller.ClientId, caller.Actor, caller.Patient);
        audit.ServerAgent();
        json.WriteEndArray();
        audit.Source("4", "Application Server");
        json.WriteStartArray("entity");
        var (identifierSystem, identifierValue) = StudyIdentifier(subject);
        audit.StartDataEntity(VersionReference(written), identifierSystem, identifierValue);
        json.WriteEndObject();
        if (patient is not null)
        {
            audit.PatientEntity(patient);
        }
        json.WriteEndArray();
        return audit.Finish();
    }

    /// <summary>The event of a read or vread of one version.</summary>
    public static AuditRecord Read(StoredResource read, bool vread, RequestCaller caller, DateTimeOffset recorded)
    {
        var resource = Parse(read.Json);
        var audit = Rest(vread ? "vread" : "read", AuditEvent.AuditEventAction.R, recorded, caller);
        audit.Entity.Add(VersionEntity(read, resource));
        if (PatientOf(resource) is { } patient)
        {
            audit.Entity.Add(PatientEntity(patient));
        }
        return Record(audit);
    }

    /// <summary>The events of a search or history: one per patient whose resources the page returned (BALP
    /// PatientQuery); one without a patient when it returned none. The raw query is kept base64-encoded.</summary>
    /// <param name="interaction">search-type, history-type or history-instance.</param>
    public static IReadOnlyList<AuditRecord> Query(string interaction, string resourceType, string rawQuery,
        IEnumerable<StoredResource> returned, RequestCaller caller, DateTimeOffset recorded)
    {
        var patients = returned.Where(r => !r.IsDeleted).Select(r => PatientOf(Parse(r.Json)))
            .OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        var events = new List<AuditRecord>(Math.Max(1, patients.Count));
        foreach (var patient in patients.Count == 0 ? [null] : patients.Cast<string?>())
        {
            var audit = Rest(interaction, interaction.StartsWith("history", StringComparison.Ordinal)
                ? AuditEvent.AuditEventAction.R : AuditEvent.AuditEventAction.E, recorded, caller);
            audit.Entity.Add(new AuditEvent.EntityComponent
            {
                Type = new Coding(EntityType, "2", "System Object"),
                Role = new Coding(EntityRole, "24", "Query"),
                Description = $"{resourceType}?{rawQuery}",
                Query = Encoding.UTF8.GetBytes(rawQuery),
            });
            if (patient is not null)
            {
                audit.Entity.Add(PatientEntity(patient));
            }
            events.Add(Record(audit));
        }
        return events;
    }

    private static AuditEvent Rest(string interaction, AuditEvent.AuditEventAction action, DateTimeOffset recorded, RequestCaller caller) => new()
    {
        Id = NewEventId(),
        Type = AuditEventParts.Rest,
        Subtype = [Interaction(interaction)],
        Action = action,
        Recorded = recorded,
        Outcome = AuditEvent.AuditEventOutcome.N0,
        Agent = [Client(caller), Server()],
        Source = Source("4", "Application Server"),
    };

    private static AuditEvent.EntityComponent VersionEntity(StoredResource version, Resource? resource)
    {
        var what = new ResourceReference(VersionReference(version));
        if (StudyIdentifier(resource) is (var system, { } value))
        {
            what.Identifier = new Identifier(system, value);
        }
        return DataEntity(what);
    }

    /// <summary>The version an event concerns: <c>Type/id/_history/v</c>.</summary>
    private static string VersionReference(StoredResource version) =>
        $"{version.ResourceType}/{version.Id}/_history/{version.VersionId.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>An ImagingStudy's DICOM Study Instance UID as the identifier of its entity (its first UID), else none.</summary>
    private static (string? System, string? Value) StudyIdentifier(Resource? resource) =>
        resource is ImagingStudy study && StudyUidKey.For(study) is [var uid, ..]
            ? (StudyUidKey.DicomUidSystem, StudyUidKey.OidPrefix + uid)
            : (null, null);

    private static Resource? Parse(string json) =>
        json.Length == 0 ? null : Resources.StoredJson.Parse(json);
}
