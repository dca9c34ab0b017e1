using ConsentService.Application.Security;
using ConsentService.Application.Ports;
using ConsentService.Application.Search;
using ConsentService.Domain.Fhir;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace ConsentService.Application.Audit;

/// <summary>
/// The codings and building blocks shared by every AuditEvent this service writes, after IHE BALP
/// (Basic Audit Log Patterns); docs/audit.md maps each event kind to its BALP profile.
/// </summary>
public static class AuditEventParts
{
    public const string Dcm = "http://dicom.nema.org/resources/ontology/DCM";
    public const string AuditEventType = "http://terminology.hl7.org/CodeSystem/audit-event-type";
    public const string RestfulInteraction = "http://hl7.org/fhir/restful-interaction";
    public const string BalpAuthZSubtype = "https://profiles.ihe.net/ITI/BALP/CodeSystem/AuthZsubType";
    public const string Lifecycle = "http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle";
    public const string ParticipationType = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";
    public const string EntityType = "http://terminology.hl7.org/CodeSystem/audit-entity-type";
    public const string EntityRole = "http://terminology.hl7.org/CodeSystem/object-role";
    public const string SourceType = "http://terminology.hl7.org/CodeSystem/security-source-type";

    /// <summary>DCM 110113 "Security Alert": the BALP type of authorization decisions and refused accesses.</summary>
    public const string SecurityAlert = "110113";
    /// <summary>DCM 110106 "Export": the BALP type of a privacy disclosure recorded at the source.</summary>
    public const string Export = "110106";
    public const string AuthZConsent = "AuthZ-Consent";
    public const string Disclose = "disclose";
    public const string Recipient = "IRCP";

    /// <summary>The entity.detail type that carries a decision's verdict (permit | deny); the custom search
    /// parameter <c>decision</c> reads it.</summary>
    public const string DecisionDetail = "decision";

    /// <summary>
    /// A new AuditEvent id (and so decision id): a version-7 UUID, its first 48 bits the current time in
    /// milliseconds, the other 74 random. Ids in time order are appended to the audit table's unique id index instead
    /// of being written into a random page of it: with random ids every decision dirtied one more 4 KB page, which
    /// grew the WAL of a 119,000-study cohort from 118 to 696 MB (docs/performance.md).
    /// </summary>
    /// <remarks>
    /// What the time order tells: when the event was recorded (the event says so itself, <c>recorded</c>), and the
    /// order in which one request's decisions were made, which is the order its caller already sees (a batch's
    /// results are decided in request order, a cohort's are streamed in the order decided). Within a millisecond the
    /// order is random. Resource ids (Consent, ImagingStudy) stay random: an ImagingStudy id in a decision answer that
    /// carried its registration time would let a vendor group studies registered together.
    /// </remarks>
    public static string NewEventId() => Guid.CreateVersion7().ToString();

    /// <summary>This service as a FHIR reference (source.observer, the server agent).</summary>
    public const string ServiceDevice = "Device/consent-service";

    private static readonly string Node = Environment.MachineName;

    public static Coding Rest => new(AuditEventType, "rest", "Restful Operation");

    public static Coding Interaction(string code) => new(RestfulInteraction, code, code);

    /// <summary>source: this service on this node.</summary>
    public static AuditEvent.SourceComponent Source(string sourceTypeCode, string sourceTypeDisplay) => new()
    {
        Site = Node,
        Observer = new ResourceReference(ServiceDevice) { Display = $"ConsentService@{Node}" },
        Type = [new Coding(SourceType, sourceTypeCode, sourceTypeDisplay)],
    };

    /// <summary>The requesting client (BALP "client": DCM 110153 Source Role ID, requestor). Its who names the
    /// organisation it is bound to (claim actor) or its patient (claim patient) as a reference, and the OAuth
    /// client id as identifier; an unauthenticated caller is "anonymous".</summary>
    public static AuditEvent.AgentComponent Client(RequestCaller caller)
    {
        var who = new ResourceReference { Display = caller.ClientId ?? "anonymous" };
        if ((caller.Actor ?? (caller.Patient is { } patient ? "Patient/" + patient : null)) is { } reference
            && FhirReferences.NormaliseLiteral(reference) is { } literal)
        {
            who.Reference = literal;
        }
        if (caller.ClientId is { } clientId)
        {
            who.Identifier = new Identifier { Value = clientId, Type = new CodeableConcept { Text = "OAuth client_id" } };
        }
        return new AuditEvent.AgentComponent
        {
            Type = new CodeableConcept(Dcm, "110153", "Source Role ID"),
            Who = who,
            Requestor = true,
        };
    }

    /// <summary>This service (BALP "server": DCM 110152 Destination Role ID).</summary>
    public static AuditEvent.AgentComponent Server() => new()
    {
        Type = new CodeableConcept(Dcm, "110152", "Destination Role ID"),
        Who = new ResourceReference(ServiceDevice) { Display = "ConsentService" },
        Requestor = false,
    };

    public static AuditEvent.EntityComponent PatientEntity(string patientReference) => new()
    {
        What = new ResourceReference(patientReference),
        Type = new Coding(EntityType, "1", "Person"),
        Role = new Coding(EntityRole, "1", "Patient"),
    };

    public static AuditEvent.EntityComponent DataEntity(ResourceReference what, string? description = null) => new()
    {
        What = what,
        Type = new Coding(EntityType, "2", "System Object"),
        Role = new Coding(EntityRole, "4", "Domain Resource"),
        Description = description,
    };

    public static AuditEvent.DetailComponent Detail(string type, string value) => new() { Type = type, Value = new FhirString(value) };

    /// <summary>The patient a Consent or ImagingStudy is about ("Patient/x"), or null.</summary>
    public static string? PatientOf(Resource? resource)
    {
        var reference = resource switch
        {
            Consent consent => consent.Patient?.Reference,
            ImagingStudy study => study.Subject?.Reference,
            _ => null,
        };
        return FhirReferences.TryNormalize(reference, out var type, out var typeAndId) && type == "Patient" ? typeAndId : null;
    }

    /// <summary>The stored form of an event: its canonical JSON and its search index entries.</summary>
    public static AuditRecord Record(AuditEvent audit)
    {
        ArgumentNullException.ThrowIfNull(audit);
        var recorded = audit.Recorded ?? throw new ArgumentException("An AuditEvent must carry recorded.", nameof(audit));
        var id = audit.Id ?? throw new ArgumentException("An AuditEvent must carry its id.", nameof(audit));
        return new AuditRecord(id, recorded, FhirJsonSerializer.Default.SerializeToString(audit))
        {
            Index = SearchIndexer.Extract(audit),
        };
    }
}
