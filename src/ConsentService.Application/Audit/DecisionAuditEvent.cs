using ConsentService.Application.Security;
using ConsentService.Application.Decisions;
using ConsentService.Application.Ports;
using ConsentService.Domain.Fhir;
using Hl7.Fhir.Model;
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
    /// <param name="patientReference">The study's subject ("Patient/x"), null for an unknown study.</param>
    public static AuditRecord Build(DecisionResult result, string? patientReference, RequestCaller caller, DateTimeOffset recorded)
    {
        var permit = result.Decision == DecisionValues.Permit;
        var purpose = new Coding(result.Purpose.System, result.Purpose.Code);
        var audit = new AuditEvent
        {
            Id = result.DecisionId,
            Type = new Coding(Dcm, SecurityAlert, "Security Alert"),
            Subtype = [new Coding(BalpAuthZSubtype, AuthZConsent, "Authorization Decision using Roles and Consent")],
            Action = AuditEvent.AuditEventAction.E,
            Recorded = recorded,
            Outcome = permit ? AuditEvent.AuditEventOutcome.N0 : AuditEvent.AuditEventOutcome.N8,
            OutcomeDesc = permit ? "Permit" : result.Basis == DecisionValues.BasisUnknownStudy ? "Deny: unknown study" : "Deny",
            PurposeOfEvent = [new CodeableConcept { Coding = [purpose] }],
            Agent =
            [
                new AuditEvent.AgentComponent
                {
                    Type = new CodeableConcept(ParticipationType, Recipient, "information recipient"),
                    Who = new ResourceReference(result.Actor),
                    Requestor = false,
                    PurposeOfUse = [new CodeableConcept { Coding = [purpose] }],
                },
                Client(caller),
                Server(),
            ],
            Source = Source("6", "Security Server"),
        };
        if (patientReference is not null)
        {
            audit.Entity.Add(PatientEntity(patientReference));
        }
        var studyIdentifier = new Identifier(StudyUidKey.DicomUidSystem, $"{StudyUidKey.OidPrefix}{result.Study}");
        var study = DataEntity(result.ImagingStudy is { } imagingStudy
            ? new ResourceReference(imagingStudy) { Identifier = studyIdentifier }
            : new ResourceReference { Identifier = studyIdentifier });
        study.Detail.Add(Detail(DecisionDetail, result.Decision));
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
            audit.Entity.Add(DataEntity(new ResourceReference(consent), "The Consent version the decision rests on"));
        }
        return Record(audit);
    }
}
