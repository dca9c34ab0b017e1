using System.Net;

namespace ConsentService.Api.Tests.Security;

/// <summary>With patient scopes only the token's patient's resources exist: another patient's consent is 404 by
/// id, vread and history (existence is not revealed), and every search is limited to the own compartment
/// whatever parameters are sent.</summary>
public sealed class PatientCompartmentTests(SecureServiceFactory factory) : SecurityTestBase(factory), IClassFixture<SecureServiceFactory>
{
    private async Task<(string Me, string MyConsent, string Other, string OtherConsent)> SeedTwoPatientsAsync()
    {
        var me = await SeedPatientAsync();
        var other = await SeedPatientAsync();
        // A second version of the other patient's consent, so history and vread have something to show.
        var update = TestData.Consent(other.Patient, "OPTOUT");
        update.Id = other.ConsentId;
        var put = await SendAsync(TestToken.Admin, HttpMethod.Put, $"/fhir/Consent/{other.ConsentId}", TestData.Json(update));
        Assert.Equal(HttpStatusCode.OK, put.Status);
        return (me.Patient, me.ConsentId, other.Patient, other.ConsentId);
    }

    [Theory]
    [InlineData("/fhir/Consent/{other}")]
    [InlineData("/fhir/Consent/{other}/_history/1")]
    [InlineData("/fhir/Consent/{other}/_history/2")]
    [InlineData("/fhir/Consent/{other}/_history")]
    public async System.Threading.Tasks.Task Another_patients_consent_is_not_found(string template)
    {
        var (me, _, other, otherConsent) = await SeedTwoPatientsAsync();
        var url = template.Replace("{other}", otherConsent, StringComparison.Ordinal);
        var answer = await GetAsync(TestToken.PatientApp(me), url);
        AssertRefused(answer, HttpStatusCode.NotFound, "/fhir");
        Assert.DoesNotContain(other, answer.Body);
        // The same answer as for an id that never existed: nothing to tell the two apart.
        var unknown = await GetAsync(TestToken.PatientApp(me), template.Replace("{other}", TestData.NewId(), StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
    }

    [Theory]
    [InlineData("/fhir/Consent/{mine}")]
    [InlineData("/fhir/Consent/{mine}/_history/1")]
    [InlineData("/fhir/Consent/{mine}/_history")]
    public async System.Threading.Tasks.Task Own_consent_is_readable(string template)
    {
        var (me, myConsent, other, _) = await SeedTwoPatientsAsync();
        var answer = await GetAsync(TestToken.PatientApp(me), template.Replace("{mine}", myConsent, StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Contains(me, answer.Body);
        Assert.DoesNotContain(other, answer.Body);
    }

    [Theory]
    [InlineData("patient=Patient/{other}", 0)]
    [InlineData("patient={other}", 0)]
    [InlineData("patient:identifier=urn:x|{other}", 0)]
    [InlineData("_id={otherConsent}", 0)]
    [InlineData("_id={otherConsent},{myConsent}", 1)]
    [InlineData("actor=Organization/acme-ai", 1)]
    [InlineData("status=active&_count=1000", 1)]
    [InlineData("", 1)]
    [InlineData("patient=Patient/{other}&_summary=count", 0)]
    public async System.Threading.Tasks.Task Search_returns_only_the_own_compartment(string query, int expectedTotal)
    {
        var (me, myConsent, other, otherConsent) = await SeedTwoPatientsAsync();
        var url = "/fhir/Consent?" + query.Replace("{otherConsent}", otherConsent, StringComparison.Ordinal)
            .Replace("{myConsent}", myConsent, StringComparison.Ordinal).Replace("{other}", other, StringComparison.Ordinal);
        var answer = await GetAsync(TestToken.PatientApp(me), url);
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        // Every other test seeds patients too: the own compartment holds exactly this test's one consent.
        Assert.Equal(expectedTotal, answer.Json.GetProperty("total").GetInt32());
        var entries = answer.Json.TryGetProperty("entry", out var e) ? e.EnumerateArray().Select(x => x.GetRawText()).ToList() : [];
        Assert.All(entries, entry => Assert.Contains(me, entry));
        Assert.All(entries, entry => Assert.DoesNotContain(other, entry));
        Assert.DoesNotContain(otherConsent, EntryIds(answer));
        if (expectedTotal == 1 && !query.Contains("_summary", StringComparison.Ordinal))
        {
            Assert.Equal([myConsent], EntryIds(answer));
        }
    }

    [Fact]
    public async System.Threading.Tasks.Task Patient_scope_cannot_list_type_history_or_read_studies()
    {
        var (me, _, other, _) = await SeedTwoPatientsAsync();
        var history = await GetAsync(TestToken.PatientApp(me), "/fhir/Consent/_history");
        AssertRefused(history, HttpStatusCode.Forbidden, "/fhir");
        Assert.DoesNotContain(other, history.Body);
        var studies = await GetAsync(TestToken.PatientApp(me), $"/fhir/ImagingStudy?patient=Patient/{me}");
        AssertRefused(studies, HttpStatusCode.Forbidden, "/fhir");
    }

    [Fact]
    public async System.Threading.Tasks.Task Patient_scope_on_studies_is_limited_to_the_compartment_too()
    {
        var mine = await SeedPatientAsync();
        var theirs = await SeedPatientAsync();
        var token = TestToken.PatientApp(mine.Patient, "patient/ImagingStudy.rs");
        var search = await GetAsync(token, $"/fhir/ImagingStudy?identifier=urn:dicom:uid|urn:oid:{theirs.Uid}");
        Assert.Equal(HttpStatusCode.OK, search.Status);
        Assert.Equal(0, search.Json.GetProperty("total").GetInt32());
        var read = await GetAsync(token, $"/fhir/ImagingStudy/{theirs.StudyId}");
        AssertRefused(read, HttpStatusCode.NotFound, "/fhir");
        Assert.DoesNotContain(theirs.Uid, read.Body);
        var own = await GetAsync(token, $"/fhir/ImagingStudy/{mine.StudyId}");
        Assert.Equal(HttpStatusCode.OK, own.Status);
    }

    [Fact]
    public async System.Threading.Tasks.Task A_system_scope_next_to_a_patient_claim_is_not_limited()
    {
        // A clinician app (user scope) launched in a patient's context still sees what its user scope grants.
        var (me, _, other, otherConsent) = await SeedTwoPatientsAsync();
        var token = TestToken.PatientApp(me, "user/Consent.rs");
        var answer = await GetAsync(token, $"/fhir/Consent/{otherConsent}");
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Contains(other, answer.Body);
    }

    [Fact]
    public async System.Threading.Tasks.Task Deleted_own_consent_is_not_found_rather_than_gone()
    {
        var mine = await SeedPatientAsync();
        var deleted = await SendAsync(TestToken.Admin, HttpMethod.Delete, $"/fhir/Consent/{mine.ConsentId}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.Status);
        var answer = await GetAsync(TestToken.PatientApp(mine.Patient), $"/fhir/Consent/{mine.ConsentId}");
        AssertRefused(answer, HttpStatusCode.NotFound, "/fhir");
    }
}
