using ConsentService.Application.Decisions;
using ConsentService.Application.Ports;
using ConsentService.Domain.Fhir;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace ConsentService.Application.Audit;

/// <summary>
/// Builds the AuditEvent of one decision, after IHE BALP's consent authorization decision pattern
/// (IHE.BasicAudit.AuthZconsent): type DCM 110113 "Security Alert", subtype AuthZ-Consent, action E (execute),
/// outcome 0 for a permit and 8 for a deny. One event concerns exactly one study, hence one patient. The verdict,
/// basis and obligations travel in entity.detail. Its id is the decision's decisionId.
/// </summary>
public static class DecisionAuditEvent
{
    public const string BalpAuthZSubtypeSystem = "https://profiles.ihe.net/ITI/BALP/CodeSystem/AuthZsubType";
    private const string Dcm = "http://dicom.nema.org/resources/ontology/DCM";
    private const string ParticipationType = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";
    private const string ObjectType = "http://terminology.hl7.org/CodeSystem/audit-entity-type";
    private const string ObjectRole = "http://terminology.hl7.org/CodeSystem/object-role";
    private static readonly string Node = Environment.MachineName;

    /// <param name="patientReference">The study's subject ("Patient/x"), null for an unknown study.</param>
    public static AuditRecord Build(DecisionResult result, string? patientReference, DateTimeOffset recorded)
    {
        var permit = result.Decision == DecisionValues.Permit;
        var purpose = new Coding(result.Purpose.System, result.Purpose.Code);
        var audit = new AuditEvent
        {
            Id = result.DecisionId,
            Type = new Coding(Dcm, "110113", "Security Alert"),
            Subtype = [new Coding(BalpAuthZSubtypeSystem, "AuthZ-Consent", "Authorization Decision using Roles and Consent")],
            Action = AuditEvent.AuditEventAction.E,
            Recorded = recorded,
            Outcome = permit ? AuditEvent.AuditEventOutcome.N0 : AuditEvent.AuditEventOutcome.N8,
            OutcomeDesc = permit ? "Permit" : result.Basis == DecisionValues.BasisUnknownStudy ? "Deny: unknown study" : "Deny",
            PurposeOfEvent = [new CodeableConcept { Coding = [purpose] }],
            Agent =
            [
                new AuditEvent.AgentComponent
                {
                    Type = new CodeableConcept(ParticipationType, "IRCP", "information recipient"),
                    Who = new ResourceReference(result.Actor),
                    Requestor = false,
                    PurposeOfUse = [new CodeableConcept { Coding = [purpose] }],
                },
                new AuditEvent.AgentComponent
                {
                    Type = new CodeableConcept(Dcm, "110153", "Source Role ID"),
                    Who = new ResourceReference { Display = "ConsentService decision API client" },
                    Requestor = true,
                },
            ],
            Source = new AuditEvent.SourceComponent
            {
                Site = Node,
                Observer = new ResourceReference { Display = $"ConsentService@{Node}" },
                Type = [new Coding("http://terminology.hl7.org/CodeSystem/security-source-type", "6", "Security Server")],
            },
        };
        if (patientReference is not null)
        {
            audit.Entity.Add(new AuditEvent.EntityComponent
            {
                What = new ResourceReference(patientReference),
                Type = new Coding(ObjectType, "1", "Person"),
                Role = new Coding(ObjectRole, "1", "Patient"),
            });
        }
        var study = new AuditEvent.EntityComponent
        {
            What = result.ImagingStudy is { } imagingStudy
                ? new ResourceReference(imagingStudy) { Identifier = new Identifier(StudyUidKey.DicomUidSystem, $"{StudyUidKey.OidPrefix}{result.Study}") }
                : new ResourceReference { Identifier = new Identifier(StudyUidKey.DicomUidSystem, $"{StudyUidKey.OidPrefix}{result.Study}") },
            Type = new Coding(ObjectType, "2", "System Object"),
            Role = new Coding(ObjectRole, "4", "Domain Resource"),
        };
        study.Detail.Add(Detail("decision", result.Decision));
        study.Detail.Add(Detail("basis", result.Basis));
        study.Detail.Add(Detail("action", result.Action));
        study.Detail.Add(Detail("policy", $"{result.Policy.Id}|{result.Policy.Version}"));
        if (result.ProvisionPath is { } path)
        {
            study.Detail.Add(Detail("provisionPath", path));
        }
        foreach (var obligation in result.Obligations)
        {
            study.Detail.Add(Detail("obligation", $"{obligation.System}|{obligation.Code}"));
        }
        audit.Entity.Add(study);
        if (result.Consent is { } consent)
        {
            audit.Entity.Add(new AuditEvent.EntityComponent
            {
                What = new ResourceReference(consent),
                Type = new Coding(ObjectType, "2", "System Object"),
                Role = new Coding(ObjectRole, "4", "Domain Resource"),
                Description = "The Consent version the decision rests on",
            });
        }
        return new AuditRecord(result.DecisionId, recorded, FhirJsonSerializer.Default.SerializeToString(audit));
    }

    private static AuditEvent.DetailComponent Detail(string type, string value) => new() { Type = type, Value = new FhirString(value) };
}
