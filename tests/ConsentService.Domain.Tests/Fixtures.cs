using ConsentService.Domain.Consents;
using ConsentService.Domain.Decisions;
using ConsentService.Domain.Fhir;
using ConsentService.Domain.Policies;
using ConsentService.Domain.Studies;
using Hl7.Fhir.Model;

namespace ConsentService.Domain.Tests;

/// <summary>Small builders for Consent and ImagingStudy POCOs, so each test states only what it is about.</summary>
internal static class Fixtures
{
    public const string PatientRef = "Patient/p1";
    public const string Mrn = "urn:oid:1.2.36.146.595.217.0.1";
    public const string VendorA = "Organization/vendor-a";
    public const string VendorB = "Organization/vendor-b";
    public const string Uid = "1.2.840.113619.2.55.3.604688119.969.1268071029.320";
    public static readonly DateTimeOffset Now = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    public static Consent.provisionComponent Provision(
        Consent.ConsentProvisionType? type = null,
        string[]? purposes = null,
        string[]? actors = null,
        string[]? data = null,
        Coding[]? codes = null,
        params Consent.provisionComponent[] exceptions)
    {
        var p = new Consent.provisionComponent { Type = type };
        foreach (var code in purposes ?? []) p.Purpose.Add(new Coding(CodeSystems.ActReason, code));
        foreach (var actor in actors ?? [])
            p.Actor.Add(new Consent.provisionActorComponent { Reference = new ResourceReference(actor) });
        foreach (var d in data ?? [])
            p.Data.Add(new Consent.provisionDataComponent { Meaning = Consent.ConsentDataMeaning.Instance, Reference = new ResourceReference(d) });
        foreach (var code in codes ?? []) p.Code.Add(new CodeableConcept { Coding = [code] });
        p.Provision.AddRange(exceptions);
        return p;
    }

    public static Consent.provisionComponent Permit(string[]? purposes = null, string[]? actors = null, string[]? data = null, Coding[]? codes = null, params Consent.provisionComponent[] exceptions) =>
        Provision(Consent.ConsentProvisionType.Permit, purposes, actors, data, codes, exceptions);

    public static Consent.provisionComponent Deny(string[]? purposes = null, string[]? actors = null, string[]? data = null, Coding[]? codes = null, params Consent.provisionComponent[] exceptions) =>
        Provision(Consent.ConsentProvisionType.Deny, purposes, actors, data, codes, exceptions);

    public static Consent NewConsent(
        string policy,
        Consent.provisionComponent? root,
        string scope = "patient-privacy",
        Consent.ConsentState status = Consent.ConsentState.Active,
        string dateTime = "2024-01-01",
        ResourceReference? patient = null)
    {
        var consent = new Consent
        {
            Status = status,
            Scope = new CodeableConcept(CodeSystems.ConsentScope, scope),
            Patient = patient ?? new ResourceReference(PatientRef),
            DateTime = dateTime,
            Provision = root,
        };
        if (policy.Length > 0) consent.PolicyRule = new CodeableConcept(CodeSystems.ActCode, policy);
        return consent;
    }

    public static CompiledConsent Compile(Consent consent, string id = "c1", string version = "1", DateTimeOffset? lastUpdated = null) =>
        ConsentCompiler.Compile(consent, id, version, lastUpdated ?? new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public static Coding Modality(string code) => new(CodeSystems.Dicom, code);
    public static Coding Snomed(string code) => new(CodeSystems.Snomed, code);

    public static ImagingStudy StudyPoco(
        string modality = "CR",
        string? bodySite = "51185008",
        string? started = "2023-03-01T10:00:00Z",
        string? uid = Uid,
        ResourceReference? subject = null,
        Coding[]? labels = null)
    {
        var study = new ImagingStudy
        {
            Status = ImagingStudy.ImagingStudyStatus.Available,
            Subject = subject ?? new ResourceReference(PatientRef),
            Started = started,
            Modality = [Modality(modality)],
        };
        if (uid is not null) study.Identifier.Add(new Identifier(CodeSystems.DicomUid, "urn:oid:" + uid));
        var series = new ImagingStudy.SeriesComponent { Uid = uid + ".1", Modality = Modality(modality) };
        if (bodySite is not null) series.BodySite = Snomed(bodySite);
        study.Series.Add(series);
        if (labels is not null) study.Meta = new Meta { Security = [.. labels] };
        return study;
    }

    public static StudyFacts Study(
        string modality = "CR",
        string? bodySite = "51185008",
        string? started = "2023-03-01T10:00:00Z",
        string? uid = Uid,
        ResourceReference? subject = null,
        Coding[]? labels = null) =>
        StudyFactsExtractor.Extract(StudyPoco(modality, bodySite, started, uid, subject, labels), "s1");

    public static DecisionRequest Request(string actor = VendorA, string purpose = "MLTRAINING", string action = "use") =>
        new(actor, purposeCode: purpose, action: action);

    public static Decision Decide(
        IEnumerable<CompiledConsent> consents,
        StudyFacts? study = null,
        DecisionRequest? request = null,
        DefaultPolicy? policy = null,
        DateTimeOffset? at = null) =>
        DecisionEngine.Default.Decide(request ?? Request(), study ?? Study(), consents.ToList(), policy ?? DefaultPolicy.OptIn, at ?? Now);

    public static Decision Decide(params Consent[] consents) =>
        Decide(consents.Select((c, i) => Compile(c, "c" + (i + 1))));

    public static readonly string[] Ml = ["MLTRAINING"];
}
