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
    /// <summary>The event of a create, update or delete (<paramref name="written"/> is a delete version).</summary>
    /// <param name="resource">The resource written (null for a delete).</param>
    /// <param name="previous">The version superseded; for a delete it names the patient.</param>
    public static AuditRecord Write(StoredResource written, StoredResource? previous, Resource? resource, RequestCaller caller)
    {
        var (interaction, action) = written.IsDeleted ? ("delete", AuditEvent.AuditEventAction.D)
            : previous is null || previous.IsDeleted ? ("create", AuditEvent.AuditEventAction.C)
            : ("update", AuditEvent.AuditEventAction.U);
        var patient = PatientOf(resource) ?? (previous is { IsDeleted: false } ? PatientOf(Parse(previous.Json)) : null);
        var audit = Rest(interaction, action, written.LastUpdated, caller);
        audit.Entity.Add(VersionEntity(written, resource ?? (previous is { IsDeleted: false } ? Parse(previous.Json) : null)));
        if (patient is not null)
        {
            audit.Entity.Add(PatientEntity(patient));
        }
        return Record(audit);
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
        Id = Guid.NewGuid().ToString(),
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
        var what = new ResourceReference(
            $"{version.ResourceType}/{version.Id}/_history/{version.VersionId.ToString(CultureInfo.InvariantCulture)}");
        if (resource is ImagingStudy study && StudyUidKey.For(study) is [var uid, ..])
        {
            what.Identifier = new Identifier(StudyUidKey.DicomUidSystem, StudyUidKey.OidPrefix + uid);
        }
        return DataEntity(what);
    }

    private static Resource? Parse(string json) =>
        json.Length == 0 ? null : Resources.StoredJson.Parse(json);
}
