using System.Globalization;
using ConsentService.Application.Audit;
using ConsentService.Application.Ports;
using ConsentService.Application.Security;
using ConsentService.Domain.Fhir;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using static ConsentService.Application.Audit.AuditEventParts;

namespace ConsentService.Application.Tests.Audit;

/// <summary>The AuditEvent of a resource write is written directly as JSON (it is built on the store's single writer
/// for every create, update and delete); it must be exactly the BALP RESTful event the Firely model gives (built
/// from <see cref="AuditEventParts"/>), parse strictly as R4, and carry exactly the index entries
/// <see cref="Search.SearchIndexer"/> extracts from it.</summary>
public sealed class WriteAuditEventTests
{
    public static TheoryData<int> Variants() => [0, 1, 2, 3, 4, 5, 6, 7];

    [Theory]
    [MemberData(nameof(Variants))]
    public void Direct_json_equals_the_model_event_and_its_index(int variant)
    {
        var isStudy = variant % 2 == 1;
        var patient = variant == 6 ? null : $"Patient/p-{variant}";
        Resource resource = isStudy ? Study(patient) : Consent(patient);
        var type = resource.TypeName;
        var lastUpdated = new DateTimeOffset(2026, 3, 4, 5, 6, 7, TimeSpan.Zero).AddTicks(variant * 1234560);
        var caller = (variant / 2) switch
        {
            0 => RequestCaller.DevelopmentOpenAccess,
            1 => new RequestCaller("ehr-client", null, null, new HashSet<string>(), true),
            2 => new RequestCaller("portal+app@example.org", null, "p-9", new HashSet<string>(), true),
            _ => RequestCaller.Anonymous,
        };
        var previousJson = FhirJsonSerializer.Default.SerializeToString(resource);
        // 0,1: create; 2,3: update; 4,5: delete; 6: create without a patient; 7: update of a deleted study (a create)
        var (written, previous, given) = variant switch
        {
            0 or 1 or 6 => (Stored(type, 1, lastUpdated, deleted: false), (StoredResource?)null, (Resource?)resource),
            2 or 3 => (Stored(type, 2, lastUpdated, false), Stored(type, 1, lastUpdated.AddDays(-1), false, previousJson), resource),
            4 or 5 => (Stored(type, 3, lastUpdated, true), Stored(type, 2, lastUpdated.AddDays(-1), false, previousJson), null),
            _ => (Stored(type, 3, lastUpdated, false), Stored(type, 2, lastUpdated.AddDays(-1), true), resource),
        };

        var direct = ResourceAuditEvents.Write(written, previous, given, caller);
        var model = Record(Model(direct.Id, written, previous, given, caller));

        Assert.Equal(lastUpdated, direct.Recorded);
        var parsed = AuditEventAssert.SameAsModel(model, direct.Json, direct.Index);
        var expectedInteraction = variant switch { 2 or 3 => "update", 4 or 5 => "delete", _ => "create" };
        Assert.Equal(expectedInteraction, parsed.Subtype.Single().Code);
        Assert.Equal(patient is not null, direct.Index.Any(e => e.Parameter == "patient" && e.Value == patient));
    }

    private static StoredResource Stored(string type, int version, DateTimeOffset lastUpdated, bool deleted, string json = "") =>
        new(type, "r-1", version, lastUpdated, deleted, deleted ? "" : json, 7);

    private static Consent Consent(string? patient) => new()
    {
        Status = Hl7.Fhir.Model.Consent.ConsentState.Active,
        Patient = patient is null ? null : new ResourceReference(patient),
    };

    private static ImagingStudy Study(string? patient) => new()
    {
        Status = ImagingStudy.ImagingStudyStatus.Available,
        Subject = new ResourceReference(patient ?? "Group/g-1"),
        Identifier = [new Identifier(StudyUidKey.DicomUidSystem, StudyUidKey.OidPrefix + "2.25.42")],
    };

    // The event as the Firely model states it (BALP PatientCreate / PatientUpdate / PatientDelete): the reference the
    // direct writer must match.
    private static AuditEvent Model(string id, StoredResource written, StoredResource? previous, Resource? resource, RequestCaller caller)
    {
        var (interaction, action) = written.IsDeleted ? ("delete", AuditEvent.AuditEventAction.D)
            : previous is null || previous.IsDeleted ? ("create", AuditEvent.AuditEventAction.C)
            : ("update", AuditEvent.AuditEventAction.U);
        var subject = resource ?? (previous is { IsDeleted: false } ? FhirJsonDeserializer.RECOVERABLE.DeserializeResource(previous.Json) : null);
        var audit = new AuditEvent
        {
            Id = id,
            Type = Rest,
            Subtype = [Interaction(interaction)],
            Action = action,
            Recorded = written.LastUpdated,
            Outcome = AuditEvent.AuditEventOutcome.N0,
            Agent = [Client(caller), Server()],
            Source = Source("4", "Application Server"),
        };
        var what = new ResourceReference($"{written.ResourceType}/{written.Id}/_history/{written.VersionId.ToString(CultureInfo.InvariantCulture)}");
        if (subject is ImagingStudy study && StudyUidKey.For(study) is [var uid, ..])
        {
            what.Identifier = new Identifier(StudyUidKey.DicomUidSystem, StudyUidKey.OidPrefix + uid);
        }
        audit.Entity.Add(DataEntity(what));
        if (PatientOf(subject) is { } patient)
        {
            audit.Entity.Add(PatientEntity(patient));
        }
        return audit;
    }
}
