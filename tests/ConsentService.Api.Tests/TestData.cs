using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace ConsentService.Api.Tests;

/// <summary>Builders of valid resources; each call uses fresh identities so tests never see each other's data.</summary>
public static class TestData
{
    public const string ActReason = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
    public const string ConsentScope = "http://terminology.hl7.org/CodeSystem/consentscope";
    public const string ConsentPolicy = "http://terminology.hl7.org/CodeSystem/v3-ActCode";

    public static string NewId() => Guid.NewGuid().ToString("N")[..16];

    public static string NewUid() => $"2.25.{(ulong)Random.Shared.NextInt64(1, long.MaxValue)}{Random.Shared.Next(100, 999)}";

    public static Consent Consent(string patientId, string policyRule = "OPTIN", string? purpose = "MLTRAINING", string date = "2025-01-15T10:00:00Z")
    {
        var consent = new Consent
        {
            Status = Hl7.Fhir.Model.Consent.ConsentState.Active,
            Scope = new CodeableConcept(ConsentScope, "patient-privacy"),
            Category = [new CodeableConcept("http://loinc.org", "59284-0", "Patient Consent")],
            Patient = new ResourceReference($"Patient/{patientId}"),
            DateTime = date,
            PolicyRule = new CodeableConcept(ConsentPolicy, policyRule),
            Provision = new Consent.provisionComponent
            {
                Period = new Period { Start = "2025-01-01", End = "2030-12-31" },
                Actor =
                [
                    new Consent.provisionActorComponent
                    {
                        Role = new CodeableConcept("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "IRCP"),
                        Reference = new ResourceReference("Organization/acme-ai"),
                    },
                ],
                Action = [new CodeableConcept("http://terminology.hl7.org/CodeSystem/consentaction", "use")],
            },
        };
        if (purpose is not null)
        {
            consent.Provision.Purpose = [new Coding(ActReason, purpose)];
        }
        return consent;
    }

    public static ImagingStudy Study(string patientId, string uid, string modality = "CT", string? bodySite = "69536005", string started = "2024-06-01T08:30:00Z") => new()
    {
        Status = ImagingStudy.ImagingStudyStatus.Available,
        Subject = new ResourceReference($"Patient/{patientId}"),
        Identifier = [new Identifier("urn:dicom:uid", $"urn:oid:{uid}")],
        Started = started,
        Modality = [new Coding("http://dicom.nema.org/resources/ontology/DCM", modality)],
        Series =
        [
            new ImagingStudy.SeriesComponent
            {
                Uid = $"{uid}.1",
                Modality = new Coding("http://dicom.nema.org/resources/ontology/DCM", modality),
                BodySite = bodySite is null ? null : new Coding("http://snomed.info/sct", bodySite),
            },
        ],
    };

    public static string Json(Resource resource) => FhirJsonSerializer.Default.SerializeToString(resource);
}
