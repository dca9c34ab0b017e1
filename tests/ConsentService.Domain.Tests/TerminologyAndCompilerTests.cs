using ConsentService.Domain.Consents;
using ConsentService.Domain.Fhir;
using ConsentService.Domain.Studies;
using ConsentService.Domain.Terminology;
using Hl7.Fhir.Model;
using static ConsentService.Domain.Tests.Fixtures;

namespace ConsentService.Domain.Tests;

public class TerminologyAndCompilerTests
{
    [Fact]
    public void Purpose_hierarchy_holds_the_tho_facts()
    {
        var h = PurposeHierarchy.Default;
        Assert.Equal(["MLTRAINING", "HOPERAT", "PurposeOfUse"], h.AncestorsOrSelf("MLTRAINING"));
        Assert.Contains("HOPERAT", h.AncestorsOrSelf("TRAIN"));
        Assert.Contains("HOPERAT", h.AncestorsOrSelf("SYSDEV"));
        Assert.Equal(["HRESCH", "PurposeOfUse"], h.AncestorsOrSelf("HRESCH"));
        Assert.DoesNotContain("HRESCH", h.AncestorsOrSelf("MLTRAINING"));
        Assert.Contains("CLINTRCHPC", h.DescendantsOrSelf("HRESCH"));
        Assert.True(h.IsKnown(CodeSystems.ActReason, "TREAT"));
        Assert.False(h.IsKnown(CodeSystems.ActReason, "NOPE"));
        Assert.False(h.IsKnown("http://example.org", "MLTRAINING"));
        Assert.Contains("7.3.0", h.Source);
        Assert.Equal("machine learning training", h.Display("MLTRAINING"));
    }

    [Fact]
    public void Body_site_hierarchy_knows_head_and_neck()
    {
        var h = BodySiteHierarchy.Default;
        Assert.True(h.IsSelfOrDescendantOf("12738006", "69536005")); // brain is-a head
        Assert.True(h.IsSelfOrDescendantOf("45048000", "774007")); // neck is-a head and/or neck
        Assert.True(h.IsSelfOrDescendantOf("69536005", "69536005"));
        Assert.False(h.IsSelfOrDescendantOf("69536005", "12738006"));
        Assert.False(h.IsSelfOrDescendantOf("39607008", "69536005"));
        Assert.True(h.IsSelfOrDescendantOf("39607008", "51185008"));
        Assert.True(h.IsSelfOrDescendantOf("999999", "999999"));
        Assert.Contains("SNOMED CT", h.Source);
    }

    [Fact]
    public void Extractor_reads_every_fact_and_normalises_the_uid()
    {
        var poco = StudyPoco("CT", "12738006", "2022-05-06", labels: [new Coding("http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "R")]);
        poco.Subject.Identifier = new Identifier(Mrn, "42");
        poco.Series.Add(new ImagingStudy.SeriesComponent { Uid = "x", Modality = Modality("PT"), BodySite = Snomed("45048000") });
        poco.ProcedureCode.Add(new CodeableConcept("http://loinc.org", "24627-2"));
        var facts = StudyFactsExtractor.Extract(poco, "abc");
        Assert.Equal(Uid, facts.Uid);
        Assert.Equal("ImagingStudy/abc", facts.IdKey);
        Assert.Equal(PatientRef, facts.PatientReference);
        Assert.Equal([Mrn + "|42"], facts.PatientIdentifierKeys);
        Assert.Equal([CodeSystems.Dicom + "|CT", CodeSystems.Dicom + "|PT"], facts.ModalityKeys);
        Assert.Equal([CodeSystems.Snomed + "|12738006", CodeSystems.Snomed + "|45048000"], facts.BodySiteKeys);
        Assert.Equal(["http://loinc.org|24627-2"], facts.ProcedureCodeKeys);
        Assert.Equal(new DateTimeOffset(2022, 5, 6, 0, 0, 0, TimeSpan.Zero), facts.Started);
        Assert.Single(facts.SecurityLabelKeys);
        Assert.Equal(["1.2.3"], StudyUidKey.For(new ImagingStudy { Identifier = [new Identifier(CodeSystems.DicomUid, "1.2.3")] }));
    }

    [Fact]
    public void Check_flags_a_root_type_contradicting_policy_rule()
    {
        var problems = ConsentCompiler.Check(NewConsent("OPTOUT", Permit(Ml)));
        var problem = Assert.Single(problems);
        Assert.Equal("Consent.provision.type", problem.Location);
        Assert.Empty(ConsentCompiler.Check(NewConsent("OPTIN", Permit(Ml))));
        Assert.Empty(ConsentCompiler.Check(NewConsent("", Deny())));
        var both = NewConsent("OPTIN", Permit(Ml));
        both.PolicyRule!.Coding.Add(new Coding(CodeSystems.ActCode, "OPTOUT"));
        Assert.Contains(ConsentCompiler.Check(both), p => p.Location == "Consent.policyRule");
        var backwards = NewConsent("OPTIN", Permit(Ml, exceptions: Deny()));
        backwards.Provision!.Provision[0].DataPeriod = new Period { Start = "2024-01-01", End = "2023-01-01" };
        Assert.Contains(ConsentCompiler.Check(backwards), p => p.Location == "Consent.provision.provision[0].dataPeriod");
    }

    [Fact]
    public void Compiler_records_status_scope_base_answer_and_paths()
    {
        var consent = NewConsent("OPTINR", Permit(Ml, exceptions: [Deny(), Provision(exceptions: Deny())]), scope: "research", status: Consent.ConsentState.Draft);
        consent.Provision!.Period = new Period { Start = "2024", End = "2025-06" };
        var c = Compile(consent, "x", "7");
        Assert.Equal(("draft", false, "Consent/x/_history/7"), (c.Status, c.IsActive, c.Reference));
        Assert.True(c.GovernsSecondaryUse);
        Assert.Equal(Decisions.Verdict.Permit, c.BaseAnswer);
        Assert.Equal(new InstantRange(new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero), new(2025, 7, 1, 0, 0, 0, TimeSpan.Zero)), c.RootPeriod);
        Assert.Equal("provision.provision[1].provision[0]", c.Root.Exceptions[1].Exceptions[0].Path);
        Assert.Equal(Decisions.Verdict.Permit, c.Root.Exceptions[1].Answer);
        Assert.False(c.Root.Exceptions[1].StatesType);
        Assert.Null(Compile(NewConsent("", Provision())).BaseAnswer);
        Assert.False(Compile(NewConsent("OPTIN", Permit(Ml), scope: "adr")).GovernsSecondaryUse);
    }

    [Theory]
    [InlineData("2024", "2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z")]
    [InlineData("2024-02", "2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z")]
    [InlineData("2024-02-29", "2024-02-29T00:00:00Z", "2024-03-01T00:00:00Z")]
    [InlineData("2024-02-29T10:00:00+02:00", "2024-02-29T08:00:00Z", "2024-02-29T08:00:01Z")]
    [InlineData("2024-02-29T10:00:00.25+02:00", "2024-02-29T08:00:00.25Z", "2024-02-29T08:00:00.26Z")]
    public void Fhir_times_cover_their_precision(string value, string start, string end)
    {
        Assert.True(FhirDateRange.TryParse(value, out InstantRange range));
        Assert.Equal(DateTimeOffset.Parse(start), range.Start);
        Assert.Equal(DateTimeOffset.Parse(end), range.End);
        Assert.False(FhirDateRange.TryParse("yesterday", out InstantRange _));
    }

    [Theory]
    [InlineData("Patient/1", "Patient/1")]
    [InlineData("https://h/fhir/Patient/1/_history/2", "Patient/1")]
    [InlineData(" Organization/x ", "Organization/x")]
    public void References_normalise(string input, string expected) =>
        Assert.Equal(expected, FhirReferences.NormaliseLiteral(input));
}
