using System.Net;

namespace ConsentService.Api.Tests.Security;

/// <summary>Scope escalation: a token that grants one thing tries another. Each refusal is a 403 with the error
/// format of its surface, the store is unchanged, and no decision is audited.</summary>
public sealed class ScopeAbuseTests(SecureServiceFactory factory) : SecurityTestBase(factory), IClassFixture<SecureServiceFactory>
{
    [Theory]
    [InlineData("system/Consent.rs", "POST")]        // v2 read+search trying to create
    [InlineData("system/Consent.read", "PUT")]       // v1 read trying to update
    [InlineData("system/Consent.r", "DELETE")]       // read trying to delete
    [InlineData("system/Consent.c", "DELETE")]       // create trying to delete
    [InlineData("system/ImagingStudy.cruds", "POST")] // another type's scope
    [InlineData("patient/Consent.cruds", "POST")]    // patient scopes never write
    [InlineData("system/Consent.rs?category=x", "POST")] // restricted v2 scopes are not honoured
    [InlineData("system/Consent.sdurc", "POST")]     // letters out of order: not a v2 scope
    public async System.Threading.Tasks.Task Write_without_the_write_scope_is_403_and_nothing_changes(string scope, string method)
    {
        var (patient, _, _, consentId) = await SeedPatientAsync();
        var token = TestToken.System(scope) with { Patient = scope.StartsWith("patient/", StringComparison.Ordinal) ? patient : null };
        var before = await StoredAsync();
        var answer = method switch
        {
            "POST" => await SendAsync(token, HttpMethod.Post, "/fhir/Consent", ConsentJson(patient)),
            "PUT" => await SendAsync(token, HttpMethod.Put, $"/fhir/Consent/{consentId}",
                TestData.Json(WithId(TestData.Consent(patient, "OPTOUT"), consentId))),
            _ => await SendAsync(token, HttpMethod.Delete, $"/fhir/Consent/{consentId}"),
        };
        AssertRefused(answer, HttpStatusCode.Forbidden, "/fhir");
        Assert.Equal(before, await StoredAsync());
        var current = await GetAsync(TestToken.Admin, $"/fhir/Consent/{consentId}");
        Assert.Equal(HttpStatusCode.OK, current.Status);
        Assert.Equal("1", current.Json.GetProperty("meta").GetProperty("versionId").GetString());
    }

    [Theory]
    [InlineData("system/Consent.cruds", "/fhir/ImagingStudy")]            // Consent scope on ImagingStudy search
    [InlineData("system/Consent.cruds", "/fhir/ImagingStudy/{study}")]    // ... and read
    [InlineData("system/ImagingStudy.c", "/fhir/ImagingStudy/{study}")]   // create-only reading
    [InlineData("system/Consent.r", "/fhir/Consent")]                      // read without search
    [InlineData("system/Consent.s", "/fhir/Consent/{consent}")]            // search without read
    [InlineData("system/Consent.r", "/fhir/Consent/_history")]             // type history lists everything: r and s
    [InlineData("patient/Consent.rs", "/fhir/ImagingStudy")]               // patient scope on another type
    [InlineData("patient/Consent.rs", "/fhir/Consent/_history")]           // patient scope on type history
    [InlineData("ai-training.decide", "/fhir/Consent/{consent}")]          // decision scope reading consents
    [InlineData("openid profile", "/fhir/Consent")]                        // no resource scope at all
    public async System.Threading.Tasks.Task Read_without_the_read_scope_is_403_and_leaks_nothing(string scope, string template)
    {
        var (patient, uid, studyId, consentId) = await SeedPatientAsync();
        var url = template.Replace("{study}", studyId, StringComparison.Ordinal).Replace("{consent}", consentId, StringComparison.Ordinal);
        var token = TestToken.System(scope) with { Patient = scope.StartsWith("patient/", StringComparison.Ordinal) ? TestData.NewId() : null };
        var answer = await GetAsync(token, url);
        AssertRefused(answer, HttpStatusCode.Forbidden, "/fhir");
        Assert.DoesNotContain(patient, answer.Body);
        Assert.DoesNotContain(uid, answer.Body);
    }

    [Fact]
    public async System.Threading.Tasks.Task Patient_scope_without_a_patient_claim_grants_nothing()
    {
        var (patient, _, _, _) = await SeedPatientAsync();
        var answer = await GetAsync(TestToken.System("patient/Consent.rs"), $"/fhir/Consent?patient=Patient/{patient}");
        AssertRefused(answer, HttpStatusCode.Forbidden, "/fhir");
        Assert.DoesNotContain(patient, answer.Body);
    }

    [Theory]
    [InlineData("system/Consent.rs")]
    [InlineData("system/*.rs")]
    [InlineData("system/AuditEvent.rs")]
    public async System.Threading.Tasks.Task Decisions_need_the_decision_scope(string scope)
    {
        var (_, uid, _, _) = await SeedPatientAsync();
        var audited = Factory.AuditRecords;
        var single = await DecideAsync(TestToken.System(scope), new { study = uid, actor = Vendor });
        AssertRefused(single, HttpStatusCode.Forbidden, "/api");
        var batch = await DecideAsync(TestToken.System(scope), new { studies = new[] { uid }, actor = Vendor }, "/api/v1/decisions/batch");
        AssertRefused(batch, HttpStatusCode.Forbidden, "/api");
        Assert.Equal(audited, Factory.AuditRecords);
        Assert.Contains("ai-training.decide", single.Json.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("system/Consent.cruds", "POST")]
    [InlineData("system/Consent.write", "POST")]
    [InlineData("system/Consent.*", "POST")]
    [InlineData("user/Consent.c", "POST")]
    [InlineData("system/*.cruds", "POST")]
    [InlineData("system/Consent.rs", "GET")]
    [InlineData("system/Consent.read", "GET")]
    [InlineData("user/Consent.rs", "GET")]
    public async System.Threading.Tasks.Task The_scope_forms_that_grant_are_accepted(string scope, string method)
    {
        var patient = TestData.NewId();
        var answer = method == "POST"
            ? await SendAsync(TestToken.System(scope), HttpMethod.Post, "/fhir/Consent", ConsentJson(patient))
            : await GetAsync(TestToken.System(scope), $"/fhir/Consent?patient=Patient/{patient}");
        Assert.True(answer.Status is HttpStatusCode.Created or HttpStatusCode.OK, $"{scope}: {answer.Status} {answer.Body}");
    }

    private static Hl7.Fhir.Model.Consent WithId(Hl7.Fhir.Model.Consent consent, string id)
    {
        consent.Id = id;
        return consent;
    }
}
