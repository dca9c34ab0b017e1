using System.Net;

namespace ConsentService.Api.Tests.Security;

/// <summary>
/// No PHI in logs: a full scenario (consents and studies written with patient names, decisions by a vendor and an
/// integration engine, searches with patient ids and Study UIDs in the query, refusals and errors) runs with every
/// log category at Trace, and none of the patient ids, names or Study UIDs appears in any line.
/// </summary>
public sealed class PhiLoggingTests(SecureServiceFactory factory) : SecurityTestBase(factory), IClassFixture<SecureServiceFactory>
{
    [Fact]
    public async System.Threading.Tasks.Task A_full_scenario_logs_no_patient_id_name_or_study_uid()
    {
        var patient = "phi-patient-" + TestData.NewId();
        var name = "Zelda Quinterra-" + TestData.NewId();
        var uid = TestData.NewUid();
        var secondUid = TestData.NewUid();
        var phi = new[] { patient, name, uid, secondUid };

        var consent = TestData.Consent(patient);
        consent.Patient!.Display = name;
        var created = await SendAsync(TestToken.Admin, HttpMethod.Post, "/fhir/Consent", TestData.Json(consent));
        Assert.Equal(HttpStatusCode.Created, created.Status);
        var study = TestData.Study(patient, uid);
        study.Subject!.Display = name;
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(TestToken.Admin, HttpMethod.Post, "/fhir/ImagingStudy", TestData.Json(study))).Status);
        // A PACS that chooses ids: the patient id ends up in the URL path.
        var chosen = TestData.Study(patient, secondUid);
        chosen.Id = "study-" + patient;
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(TestToken.Admin, HttpMethod.Put, $"/fhir/ImagingStudy/{chosen.Id}", TestData.Json(chosen))).Status);

        Assert.Equal(HttpStatusCode.OK, (await DecideAsync(TestToken.Vendor(), new { study = uid })).Status);
        Assert.Equal(HttpStatusCode.OK, (await DecideAsync(TestToken.Admin, new { studies = new[] { uid, secondUid, TestData.NewUid() }, actor = Vendor }, "/api/v1/decisions/batch")).Status);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(TestToken.Admin, $"/fhir/Consent?patient=Patient/{patient}")).Status);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(TestToken.Admin, $"/fhir/ImagingStudy?identifier=urn:dicom:uid|urn:oid:{uid}")).Status);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(TestToken.PatientApp(patient), $"/fhir/Consent?patient=Patient/{patient}")).Status);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(TestToken.Admin, $"/fhir/ImagingStudy/study-{patient}/_history")).Status);

        // Errors and refusals with PHI in the request.
        Assert.Equal(HttpStatusCode.NotFound, (await DecideAsync(TestToken.Admin, new { study = TestData.NewUid() + "9", actor = Vendor })).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await GetAsync(TestToken.Admin, $"/fhir/Consent?patient=Patient/{patient}!&date=x{uid}")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(null, $"/fhir/Consent?patient=Patient/{patient}")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync(TestToken.Vendor(), $"/fhir/ImagingStudy/study-{patient}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(TestToken.PatientApp("someone-else", "patient/ImagingStudy.rs"), $"/fhir/ImagingStudy/study-{patient}")).Status);
        Assert.Equal(HttpStatusCode.Conflict, (await SendAsync(TestToken.Admin, HttpMethod.Post, "/fhir/ImagingStudy", TestData.Json(TestData.Study(patient, uid)))).Status);
        var invalid = TestData.Consent(patient);
        invalid.PolicyRule = null;
        var rejected = await SendAsync(TestToken.Admin, HttpMethod.Post, "/fhir/Consent", TestData.Json(invalid));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, rejected.Status);

        var lines = Factory.Logs.Lines;
        Assert.Contains(lines, l => l.Level <= Microsoft.Extensions.Logging.LogLevel.Debug); // the capture really runs at Trace/Debug
        Assert.Contains(lines, l => l.Text.Contains("Access refused", StringComparison.Ordinal));
        foreach (var value in phi)
        {
            var leaks = lines.Where(l => l.Text.Contains(value, StringComparison.OrdinalIgnoreCase)).Select(l => $"[{l.Category}] {l.Text}").ToList();
            Assert.True(leaks.Count == 0, $"PHI '{value}' was logged:\n{string.Join("\n", leaks.Take(5))}");
        }
    }
}
