using System.Text.Json.Nodes;
using ConsentService.Domain.Fhir;
using ConsentService.Domain.Studies;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace ConsentService.Domain.Tests;

/// <summary>Decision paths read a study's facts from its stored JSON without Firely (<see cref="StudyFactsExtractor.FromJson"/>);
/// they must be exactly the facts the POCO extractor gives, for every study of the conformance corpus and for
/// studies that exercise each element it reads.</summary>
public class StudyFactsFromJsonTests
{
    [Theory]
    [MemberData(nameof(ConformanceCorpusTests.Cases), MemberType = typeof(ConformanceCorpusTests))]
    public void Corpus_study_facts_are_the_same_from_json(string name)
    {
        var file = JsonNode.Parse(File.ReadAllText(Path.Combine(ConformanceCorpusTests.CaseDirectory, name + ".json")))!.AsObject();
        var study = new FhirJsonDeserializer().Deserialize<ImagingStudy>(file["study"]!.ToJsonString());
        AssertSame(study);
    }

    public static TheoryData<int> Variants() => [0, 1, 2, 3, 4, 5, 6, 7];

    [Theory]
    [MemberData(nameof(Variants))]
    public void Every_element_read_gives_the_same_facts(int variant)
    {
        var study = Fixtures.StudyPoco(
            modality: variant % 2 == 0 ? "CT" : "MR",
            bodySite: variant == 3 ? null : "39607008",
            started: variant switch { 4 => null, 5 => "2021", 6 => "2021-07-04T10:11:12.123+02:00", _ => "2023-03-01" },
            uid: variant == 7 ? null : $"1.2.826.0.1.3680043.10.{variant}",
            subject: variant switch
            {
                1 => new ResourceReference { Identifier = new Identifier("http://hospital.example/mrn", "MRN-1") },
                2 => new ResourceReference("Patient/p-2") { Identifier = new Identifier("http://hospital.example/mrn", "MRN-2") },
                3 => new ResourceReference("Group/g-1"),
                _ => null,
            },
            labels: variant % 3 == 0 ? [new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "RESEARCH"), new Coding(null, "LOCAL")] : null);
        // identifiers: an invalid UID and another system before the valid one; a second valid one after it
        study.Identifier.Insert(0, new Identifier(CodeSystems.DicomUid, "urn:oid:not-a-uid"));
        study.Identifier.Insert(0, new Identifier("http://pacs.example/accession", "A-1"));
        study.Identifier.Add(new Identifier(CodeSystems.DicomUid, "2.25.99"));
        study.Modality.Add(new Coding(null, " OT "));
        study.Series.Add(new ImagingStudy.SeriesComponent { Uid = "2.25.1.2", Modality = new Coding(CodeSystems.Dicom, "SEG"), BodySite = new Coding(null, "12738006") });
        study.Series.Add(new ImagingStudy.SeriesComponent { Uid = "2.25.1.3", Modality = new Coding(CodeSystems.Dicom, "CT") });
        if (variant > 3)
        {
            study.ProcedureCode = [new CodeableConcept { Coding = [new Coding("http://loinc.org", "24627-2"), new Coding("http://www.radlex.org", "RPID16")] }];
        }
        AssertSame(study);
    }

    [Fact]
    public void Json_that_is_not_an_imaging_study_is_refused()
    {
        var consent = new FhirJsonSerializer().SerializeToString(new Consent { Status = Consent.ConsentState.Active });
        Assert.Throws<ArgumentException>(() => StudyFactsExtractor.FromJson(consent, "c1"));
    }

    private static void AssertSame(ImagingStudy study)
    {
        var expected = StudyFactsExtractor.Extract(study, "s-1");
        var actual = StudyFactsExtractor.FromJson(new FhirJsonSerializer().SerializeToString(study), "s-1");
        Assert.Equal(expected.Id, actual.Id);
        Assert.Equal(expected.Uid, actual.Uid);
        Assert.Equal(expected.UidKey, actual.UidKey);
        Assert.Equal(expected.IdKey, actual.IdKey);
        Assert.Equal(expected.PatientReference, actual.PatientReference);
        Assert.Equal(expected.PatientIdentifierKeys, actual.PatientIdentifierKeys);
        Assert.Equal(expected.ModalityKeys, actual.ModalityKeys);
        Assert.Equal(expected.BodySiteKeys, actual.BodySiteKeys);
        Assert.Equal(expected.ProcedureCodeKeys, actual.ProcedureCodeKeys);
        Assert.Equal(expected.Started, actual.Started);
        Assert.Equal(expected.SecurityLabelKeys, actual.SecurityLabelKeys);
    }
}
