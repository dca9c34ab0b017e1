using ConsentService.Application.Ports;
using ConsentService.Application.Search;
using ConsentService.Domain.Fhir;
using Hl7.Fhir.Model;
using SearchParamType = ConsentService.Application.Ports.SearchParamType;

namespace ConsentService.Application.Tests.Search;

public class SearchIndexerTests
{
    private static readonly DateTimeOffset Min = DateTimeOffset.MinValue;
    private static readonly DateTimeOffset Max = DateTimeOffset.MaxValue;

    private static DateTimeOffset Utc(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) => new(y, mo, d, h, mi, s, TimeSpan.Zero);

    /// <summary>A research-consent shaped like the R4 examples, with a nested provision that must not be indexed.</summary>
    private static Consent SampleConsent() => new()
    {
        Id = "c1",
        Identifier = [new Identifier("http://hospital.example/consents", "C-42")],
        Status = Consent.ConsentState.Active,
        Scope = new CodeableConcept("http://terminology.hl7.org/CodeSystem/consentscope", "research"),
        Category = [new CodeableConcept("http://loinc.org", "59284-0"), new CodeableConcept { Coding = [new Coding("http://terminology.hl7.org/CodeSystem/consentcategorycodes", "research"), new Coding("urn:local", "R")] }],
        Patient = new ResourceReference("https://ehr.example/fhir/Patient/p1/_history/3"),
        DateTimeElement = new FhirDateTime("2020-03-04"),
        Performer = [new ResourceReference("Patient/p1"), new ResourceReference { Identifier = new Identifier("urn:oid:2.16.840.1.113883.4.1", "123-45-6789"), Type = "RelatedPerson" }],
        Organization = [new ResourceReference("Organization/org1")],
        Source = new ResourceReference("DocumentReference/doc1"),
        Policy = [new Consent.PolicyComponent { Uri = "https://example.org/policy" }],
        Provision = new Consent.provisionComponent
        {
            Type = Consent.ConsentProvisionType.Permit,
            Period = new Period { StartElement = new FhirDateTime("2020-01") },
            Actor = [new Consent.provisionActorComponent { Role = new CodeableConcept("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "PRCP"), Reference = new ResourceReference("Organization/vendor1") }],
            Action = [new CodeableConcept("http://terminology.hl7.org/CodeSystem/consentaction", "use")],
            SecurityLabel = [new Coding("http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "N")],
            Purpose = [new Coding("http://terminology.hl7.org/CodeSystem/v3-ActReason", "MLTRAINING")],
            Data = [new Consent.provisionDataComponent { Meaning = Consent.ConsentDataMeaning.Instance, Reference = new ResourceReference("ImagingStudy/s1") }],
            Provision =
            [
                new Consent.provisionComponent
                {
                    Type = Consent.ConsentProvisionType.Deny,
                    Period = new Period { StartElement = new FhirDateTime("2030-01-01") },
                    Actor = [new Consent.provisionActorComponent { Reference = new ResourceReference("Organization/nested-actor") }],
                    Action = [new CodeableConcept("http://terminology.hl7.org/CodeSystem/consentaction", "disclose")],
                    SecurityLabel = [new Coding("http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "R")],
                    Purpose = [new Coding("http://terminology.hl7.org/CodeSystem/v3-ActReason", "HRESCH")],
                    Data = [new Consent.provisionDataComponent { Meaning = Consent.ConsentDataMeaning.Instance, Reference = new ResourceReference("ImagingStudy/nested") }],
                },
            ],
        },
    };

    private static SearchIndexEntry[] Of(IReadOnlyList<SearchIndexEntry> entries, string parameter) =>
        entries.Where(e => e.Parameter == parameter).ToArray();

    private static SearchIndexEntry Token(string p, string? system, string value) => new(p, SearchParamType.Token, system, value);
    private static SearchIndexEntry Ref(string p, string value) => new(p, SearchParamType.Reference, null, value);
    private static SearchIndexEntry Date(string p, DateTimeOffset low, DateTimeOffset high) => new(p, SearchParamType.Date, null, null, low, high);

    [Fact]
    public void Consent_tokens_come_from_codings_identifiers_and_the_status_literal()
    {
        var entries = SearchIndexer.Extract(SampleConsent());

        Assert.Equal([Token("status", null, "active")], Of(entries, "status"));
        Assert.Equal([Token("identifier", "http://hospital.example/consents", "C-42")], Of(entries, "identifier"));
        Assert.Equal([Token("scope", "http://terminology.hl7.org/CodeSystem/consentscope", "research")], Of(entries, "scope"));
        Assert.Equal(
            [Token("category", "http://loinc.org", "59284-0"), Token("category", "http://terminology.hl7.org/CodeSystem/consentcategorycodes", "research"), Token("category", "urn:local", "R")],
            Of(entries, "category"));
    }

    [Fact]
    public void Status_uses_the_fhir_literal_of_multi_word_codes()
    {
        var consent = SampleConsent();
        consent.Status = Consent.ConsentState.EnteredInError;
        Assert.Equal([Token("status", null, "entered-in-error")], Of(SearchIndexer.Extract(consent), "status"));
    }

    [Fact]
    public void Only_the_root_provision_is_indexed()
    {
        var entries = SearchIndexer.Extract(SampleConsent());

        Assert.Equal([Token("purpose", "http://terminology.hl7.org/CodeSystem/v3-ActReason", "MLTRAINING")], Of(entries, "purpose"));
        Assert.Equal([Ref("actor", "Organization/vendor1")], Of(entries, "actor"));
        Assert.Equal([Token("action", "http://terminology.hl7.org/CodeSystem/consentaction", "use")], Of(entries, "action"));
        Assert.Equal([Ref("data", "ImagingStudy/s1")], Of(entries, "data"));
        Assert.Equal([Token("security-label", "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "N")], Of(entries, "security-label"));
        Assert.Equal([Date("period", Utc(2020, 1, 1), Max)], Of(entries, "period"));
    }

    [Fact]
    public void Consent_references_are_normalised_and_identifier_only_references_become_tokens()
    {
        var entries = SearchIndexer.Extract(SampleConsent());

        Assert.Equal([Ref("patient", "Patient/p1")], Of(entries, "patient"));
        Assert.Equal([Ref("consentor", "Patient/p1"), Token("consentor", "urn:oid:2.16.840.1.113883.4.1", "123-45-6789")], Of(entries, "consentor"));
        Assert.Equal([Ref("organization", "Organization/org1")], Of(entries, "organization"));
        Assert.Equal([Ref("source-reference", "DocumentReference/doc1")], Of(entries, "source-reference"));
    }

    [Fact]
    public void A_source_attachment_gives_no_source_reference_entry()
    {
        var consent = SampleConsent();
        consent.Source = new Attachment { Url = "https://example.org/scan.pdf" };
        Assert.Empty(Of(SearchIndexer.Extract(consent), "source-reference"));
    }

    [Fact]
    public void A_reference_with_both_literal_and_identifier_gives_both_entries()
    {
        var consent = SampleConsent();
        consent.Patient = new ResourceReference("Patient/p1") { Identifier = new Identifier("urn:mrn", "M1") };
        Assert.Equal([Ref("patient", "Patient/p1"), Token("patient", "urn:mrn", "M1")], Of(SearchIndexer.Extract(consent), "patient"));
    }

    [Fact]
    public void Contained_and_urn_references_give_no_reference_entry()
    {
        var consent = SampleConsent();
        consent.Performer = [new ResourceReference("#p"), new ResourceReference("urn:uuid:0b0b3f4c-9c9d-4a35-9b1e-1d2f3a4b5c6d")];
        Assert.Empty(Of(SearchIndexer.Extract(consent), "consentor"));
    }

    [Fact]
    public void Consent_date_is_the_whole_day_in_utc()
    {
        var entries = SearchIndexer.Extract(SampleConsent());
        Assert.Equal([Date("date", Utc(2020, 3, 4), Utc(2020, 3, 5).AddTicks(-1))], Of(entries, "date"));
    }

    [Fact]
    public void Periods_with_an_open_start_run_from_min_value()
    {
        var consent = SampleConsent();
        consent.Provision!.Period = new Period { EndElement = new FhirDateTime("2021-06-30T12:00:00+02:00") };
        Assert.Equal([Date("period", Min, Utc(2021, 6, 30, 10).AddSeconds(1).AddTicks(-1))], Of(SearchIndexer.Extract(consent), "period"));
    }

    [Fact]
    public void A_closed_period_spans_start_low_to_end_high_and_an_empty_period_gives_nothing()
    {
        var consent = SampleConsent();
        consent.Provision!.Period = new Period { StartElement = new FhirDateTime("2020"), EndElement = new FhirDateTime("2020-02") };
        Assert.Equal([Date("period", Utc(2020, 1, 1), Utc(2020, 3, 1).AddTicks(-1))], Of(SearchIndexer.Extract(consent), "period"));

        consent.Provision.Period = new Period();
        Assert.Empty(Of(SearchIndexer.Extract(consent), "period"));
    }

    [Fact]
    public void A_consent_without_provision_indexes_no_provision_parameters()
    {
        var consent = SampleConsent();
        consent.Provision = null;
        var entries = SearchIndexer.Extract(consent);
        foreach (var p in new[] { "purpose", "period", "actor", "action", "data", "security-label" })
            Assert.Empty(Of(entries, p));
        Assert.NotEmpty(Of(entries, "status"));
    }

    private static ImagingStudy SampleStudy() => new()
    {
        Id = "s1",
        Identifier =
        [
            new Identifier(StudyUidKey.DicomUidSystem, "urn:oid:2.16.124.113543.6003.1154777499.30246.19789.3503430045"),
            new Identifier("http://pacs.example/accession", "A-1") { Type = new CodeableConcept("http://terminology.hl7.org/CodeSystem/v2-0203", "ACSN") },
        ],
        Status = ImagingStudy.ImagingStudyStatus.Available,
        Subject = new ResourceReference("http://ehr.example/fhir/Patient/p1"),
        StartedElement = new FhirDateTime("2011-01-01T11:01:20+03:00"),
        Series =
        [
            new ImagingStudy.SeriesComponent { Uid = "2.16.124.1", Modality = new Coding("http://dicom.nema.org/resources/ontology/DCM", "CT"), BodySite = new Coding("http://snomed.info/sct", "69536005", "Head") },
            new ImagingStudy.SeriesComponent { Uid = "2.16.124.2", Modality = new Coding("http://dicom.nema.org/resources/ontology/DCM", "CT") },
            new ImagingStudy.SeriesComponent { Uid = "2.16.124.3", Modality = new Coding("http://dicom.nema.org/resources/ontology/DCM", "MR"), BodySite = new Coding("http://snomed.info/sct", "39607008") },
        ],
    };

    [Fact]
    public void ImagingStudy_entries()
    {
        var entries = SearchIndexer.Extract(SampleStudy());

        Assert.Equal([Ref("patient", "Patient/p1")], Of(entries, "patient"));
        Assert.Equal([Ref("subject", "Patient/p1")], Of(entries, "subject"));
        Assert.Equal([Token("modality", "http://dicom.nema.org/resources/ontology/DCM", "CT"), Token("modality", "http://dicom.nema.org/resources/ontology/DCM", "MR")], Of(entries, "modality"));
        Assert.Equal([Token("bodysite", "http://snomed.info/sct", "69536005"), Token("bodysite", "http://snomed.info/sct", "39607008")], Of(entries, "bodysite"));
        Assert.Equal([Date("started", Utc(2011, 1, 1, 8, 1, 20), Utc(2011, 1, 1, 8, 1, 21).AddTicks(-1))], Of(entries, "started"));
    }

    [Fact]
    public void The_study_uid_identifier_is_indexed_in_both_spellings()
    {
        const string uid = "2.16.124.113543.6003.1154777499.30246.19789.3503430045";
        var identifiers = Of(SearchIndexer.Extract(SampleStudy()), "identifier");

        Assert.Contains(Token("identifier", "urn:dicom:uid", "urn:oid:" + uid), identifiers);
        Assert.Contains(Token("identifier", "urn:dicom:uid", uid), identifiers);
        Assert.Contains(Token("identifier", "http://pacs.example/accession", "A-1"), identifiers);
        Assert.Equal(3, identifiers.Length);
    }

    [Fact]
    public void Patient_is_indexed_only_when_the_subject_is_a_patient()
    {
        var study = SampleStudy();
        study.Subject = new ResourceReference("Group/g1");
        var entries = SearchIndexer.Extract(study);
        Assert.Empty(Of(entries, "patient"));
        Assert.Equal([Ref("subject", "Group/g1")], Of(entries, "subject"));

        study.Subject = new ResourceReference { Type = "Patient", Identifier = new Identifier("urn:mrn", "M1") };
        entries = SearchIndexer.Extract(study);
        Assert.Equal([Token("patient", "urn:mrn", "M1")], Of(entries, "patient"));
        Assert.Equal([Token("subject", "urn:mrn", "M1")], Of(entries, "subject"));

        study.Subject = new ResourceReference { Identifier = new Identifier("urn:mrn", "M1") };
        Assert.Empty(Of(SearchIndexer.Extract(study), "patient"));
    }

    [Fact]
    public void Every_registered_parameter_yields_entries_for_the_samples()
    {
        var consentNames = SearchIndexer.Extract(SampleConsent()).Select(e => e.Parameter).ToHashSet();
        Assert.All(SearchParameterRegistry.For("Consent"), p => Assert.Contains(p.Name, consentNames));
        var studyNames = SearchIndexer.Extract(SampleStudy()).Select(e => e.Parameter).ToHashSet();
        Assert.All(SearchParameterRegistry.For("ImagingStudy"), p => Assert.Contains(p.Name, studyNames));
    }

    [Fact]
    public void Entry_types_match_the_registry_and_only_reference_parameters_carry_identifier_tokens()
    {
        foreach (var resource in new Resource[] { SampleConsent(), SampleStudy() })
        foreach (var entry in SearchIndexer.Extract(resource))
        {
            Assert.True(SearchParameterRegistry.TryGet(resource.TypeName, entry.Parameter, out var definition));
            var allowed = definition.Type == SearchParamType.Reference ? new[] { SearchParamType.Reference, SearchParamType.Token } : [definition.Type];
            Assert.Contains(entry.Type, allowed);
        }
    }

    [Fact]
    public void A_type_without_parameters_gives_no_entries()
    {
        Assert.Empty(SearchIndexer.Extract(new Patient { Id = "p1" }));
    }
}
