using ConsentService.Application.Audit;
using ConsentService.Application.Decisions;
using ConsentService.Application.Security;
using ConsentService.Domain.Fhir;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using static ConsentService.Application.Audit.AuditEventParts;

namespace ConsentService.Application.Tests.Audit;

/// <summary>The decision AuditEvent is written directly as JSON for speed; it must be exactly the event the Firely
/// model gives for the same decision (BALP AuthZconsent, built from <see cref="AuditEventParts"/>), parse strictly as
/// R4, and carry exactly the index entries <see cref="Search.SearchIndexer"/> extracts from it.</summary>
public sealed class DecisionAuditEventTests
{
    public static TheoryData<int> Variants() => [0, 1, 2, 3, 4, 5, 6, 7];

    [Theory]
    [MemberData(nameof(Variants))]
    public void Direct_json_equals_the_model_event_and_its_index(int variant)
    {
        var permit = variant % 2 == 0;
        var unknown = variant == 7;
        var result = new DecisionResult(
            DecisionId: Guid.NewGuid().ToString(),
            Decision: permit ? "permit" : "deny",
            Basis: unknown ? "unknown-study" : variant % 3 == 0 ? "policy" : "consent",
            Study: "2.25.123456789",
            ImagingStudy: unknown ? null : "ImagingStudy/s-1",
            Actor: "Organization/acme-ai",
            Purpose: new PurposeCoding(CodeSystems.ActReason, variant == 4 ? "HRESCH" : "MLTRAINING"),
            Action: "use",
            At: DateTimeOffset.UtcNow,
            Consent: variant % 3 == 0 || unknown ? null : "Consent/c-1/_history/3",
            ProvisionPath: variant % 3 == 0 || unknown ? null : "provision.provision[0]",
            Reasons: ["not written to the audit event"],
            Obligations: permit ? [new ObligationCoding(CodeSystems.ActCode, "DEID", "de-identification"), new ObligationCoding("http://dicom.nema.org/resources/ontology/DCM", "113102", "Clean Recognizable Visual Features Option")] : [],
            Policy: new PolicyRef("opt-in", "1"));
        var caller = variant switch
        {
            1 => RequestCaller.Anonymous,
            2 => new RequestCaller("vendor-client", "Organization/acme-ai", null, new HashSet<string>(), true),
            3 => new RequestCaller("portal+app@example.org", null, "p-9", new HashSet<string>(), true),
            _ => RequestCaller.DevelopmentOpenAccess,
        };
        var recorded = new DateTimeOffset(2026, 3, 4, 5, 6, 7, TimeSpan.Zero).AddTicks(variant * 1234567);
        var patient = unknown ? null : "Patient/p-1";

        var stored = DecisionAuditEvent.Build(result, patient, caller, recorded);
        var model = Record(Model(result, patient, caller, recorded));

        // What is stored (and chained) is the decision record; read, it is exactly the model's FHIR event.
        Assert.True(DecisionAuditEvent.IsDecisionRecord(stored.Json), stored.Json);
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(stored.Json) * 3 < System.Text.Encoding.UTF8.GetByteCount(model.Json),
            $"the decision record ({stored.Json.Length} chars) should be a fraction of the event ({model.Json.Length})");
        Assert.DoesNotContain("not written to the audit event", stored.Json); // reasons are not part of the event
        var fhir = StoredAuditEvents.Fhir(stored.Json);
        Assert.Equal(model.Id, stored.Id);
        Assert.Equal(recorded, stored.Recorded);
        AuditEventAssert.SameAsModel(model, fhir, stored.Index);
        Assert.Equal(AuditEventAssert.Keys(stored.Index), AuditEventAssert.Keys(StoredAuditEvents.Index(stored.Json)));
    }

    // The event as the Firely model states it: the reference the direct writer must match.
    private static AuditEvent Model(DecisionResult result, string? patientReference, RequestCaller caller, DateTimeOffset recorded)
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
        return audit;
    }
}
