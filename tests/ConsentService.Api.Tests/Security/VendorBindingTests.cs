using System.Net;
using Microsoft.Extensions.DependencyInjection;

namespace ConsentService.Api.Tests.Security;

/// <summary>A token with an <c>actor</c> claim (an AI vendor) decides only as that actor, sees no consent
/// reference or consent-quoting reason, and reads no FHIR resource whatever scopes it carries.</summary>
public sealed class VendorBindingTests(SecureServiceFactory factory) : SecurityTestBase(factory), IClassFixture<SecureServiceFactory>
{
    private const string OtherVendor = "Organization/globex-ml";

    [Fact]
    public async System.Threading.Tasks.Task Vendor_cannot_decide_as_another_vendor()
    {
        var (_, uid, _, _) = await SeedPatientAsync();
        var audited = Factory.AuditRecords;
        var single = await DecideAsync(TestToken.Vendor(OtherVendor), new { study = uid, actor = Vendor });
        AssertRefused(single, HttpStatusCode.Forbidden, "/api");
        var batch = await DecideAsync(TestToken.Vendor(OtherVendor), new { studies = new[] { uid }, actor = Vendor }, "/api/v1/decisions/batch");
        AssertRefused(batch, HttpStatusCode.Forbidden, "/api");
        Assert.Equal(audited, Factory.AuditRecords);
        Assert.DoesNotContain("permit", single.Body + batch.Body);
    }

    [Fact]
    public async System.Threading.Tasks.Task Vendor_without_actor_decides_as_itself_and_sees_no_consent()
    {
        var (patient, uid, _, consentId) = await SeedPatientAsync();
        var answer = await DecideAsync(TestToken.Vendor(), new { study = uid });
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal("permit", answer.Json.GetProperty("decision").GetString());
        Assert.Equal(Vendor, answer.Json.GetProperty("actor").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, answer.Json.GetProperty("consent").ValueKind);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, answer.Json.GetProperty("provisionPath").ValueKind);
        Assert.DoesNotContain(consentId, answer.Body);
        Assert.DoesNotContain(patient, answer.Body);
        Assert.DoesNotContain("Consent/", answer.Body);
        Assert.Contains(answer.Json.GetProperty("reasons").EnumerateArray(), r => r.GetString()!.Contains("not disclosed", StringComparison.Ordinal));
        Assert.NotEmpty(answer.Json.GetProperty("obligations").EnumerateArray());

        // The audit trail keeps the full decision: the deciding consent version is recorded.
        var record = await Factory.Services.GetRequiredService<ConsentService.Application.Ports.IAuditLog>()
            .ReadAsync(answer.Json.GetProperty("decisionId").GetString()!, CancellationToken.None);
        Assert.Contains($"Consent/{consentId}/_history/1", record!.Json);
    }

    [Fact]
    public async System.Threading.Tasks.Task Batch_answers_to_a_vendor_carry_no_consent_references()
    {
        var first = await SeedPatientAsync();
        var second = await SeedPatientAsync();
        var answer = await DecideAsync(TestToken.Vendor(), new { studies = new[] { first.Uid, second.Uid, TestData.NewUid() } }, "/api/v1/decisions/batch");
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.DoesNotContain("Consent/", answer.Body);
        Assert.DoesNotContain(first.ConsentId, answer.Body);
        Assert.DoesNotContain(second.ConsentId, answer.Body);
        Assert.DoesNotContain(first.Patient, answer.Body);
        Assert.Equal(2, answer.Json.GetProperty("summary").GetProperty("permit").GetInt32());
    }

    [Fact]
    public async System.Threading.Tasks.Task Unbound_integration_engine_sees_the_full_explanation_but_must_name_the_actor()
    {
        var (_, uid, _, consentId) = await SeedPatientAsync();
        var full = await DecideAsync(TestToken.System("ai-training.decide"), new { study = uid, actor = Vendor });
        Assert.Equal(HttpStatusCode.OK, full.Status);
        Assert.Equal($"Consent/{consentId}/_history/1", full.Json.GetProperty("consent").GetString());
        var audited = Factory.AuditRecords;
        var withoutActor = await DecideAsync(TestToken.System("ai-training.decide"), new { study = uid });
        Assert.Equal(HttpStatusCode.BadRequest, withoutActor.Status);
        Assert.True(withoutActor.Json.GetProperty("errors").TryGetProperty("actor", out _));
        Assert.Equal(audited, Factory.AuditRecords);
    }

    [Theory]
    [InlineData("Consent")]
    [InlineData("ImagingStudy")]
    [InlineData("AuditEvent")]
    public async System.Threading.Tasks.Task Vendor_cannot_read_resources_even_with_their_scopes(string type)
    {
        var (patient, uid, studyId, consentId) = await SeedPatientAsync();
        var token = TestToken.Vendor(scope: $"ai-training.decide system/{type}.rs system/Consent.rs system/ImagingStudy.rs");
        var id = type == "Consent" ? consentId : studyId;
        foreach (var url in new[] { $"/fhir/{type}/{id}", $"/fhir/{type}?patient=Patient/{patient}", $"/fhir/{type}/{id}/_history" })
        {
            var answer = await GetAsync(token, url);
            Assert.True(answer.Status is HttpStatusCode.Forbidden or HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed, $"{url}: {answer.Status}");
            Assert.NotEqual(HttpStatusCode.OK, answer.Status);
            Assert.DoesNotContain(patient, answer.Body);
            Assert.DoesNotContain(uid, answer.Body);
        }
        if (type != "AuditEvent")
        {
            AssertRefused(await GetAsync(token, $"/fhir/{type}/{id}"), HttpStatusCode.Forbidden, "/fhir");
        }
    }

    [Fact]
    public async System.Threading.Tasks.Task Vendor_cannot_write_even_with_write_scopes()
    {
        var before = await StoredAsync();
        var answer = await SendAsync(TestToken.Vendor(scope: "system/Consent.cruds system/ImagingStudy.cruds"), HttpMethod.Post,
            "/fhir/ImagingStudy", StudyJson(TestData.NewId(), TestData.NewUid()));
        AssertRefused(answer, HttpStatusCode.Forbidden, "/fhir");
        Assert.Equal(before, await StoredAsync());
    }

    [Fact]
    public async System.Threading.Tasks.Task Vendor_may_use_only_the_actor_identifier_its_token_carries()
    {
        var (_, uid, _, _) = await SeedPatientAsync();
        var audited = Factory.AuditRecords;
        var claimed = new { system = "urn:ietf:rfc:3986", value = "urn:oid:1.2.3.4.5" };
        var withoutClaim = await DecideAsync(TestToken.Vendor(), new { study = uid, actorIdentifier = claimed });
        AssertRefused(withoutClaim, HttpStatusCode.Forbidden, "/api");
        var bound = TestToken.Vendor() with { ActorIdentifier = "urn:ietf:rfc:3986|urn:oid:9.9.9" };
        var another = await DecideAsync(bound, new { study = uid, actorIdentifier = claimed });
        AssertRefused(another, HttpStatusCode.Forbidden, "/api");
        Assert.Equal(audited, Factory.AuditRecords);
        var own = await DecideAsync(bound, new { study = uid, actorIdentifier = new { system = "urn:ietf:rfc:3986", value = "urn:oid:9.9.9" } });
        Assert.Equal(HttpStatusCode.OK, own.Status);
    }

    [Fact]
    public async System.Threading.Tasks.Task Token_with_a_malformed_actor_claim_decides_for_nobody()
    {
        var (_, uid, _, _) = await SeedPatientAsync();
        var audited = Factory.AuditRecords;
        var answer = await DecideAsync(TestToken.Vendor("acme-ai"), new { study = uid });
        AssertRefused(answer, HttpStatusCode.Forbidden, "/api");
        Assert.Equal(audited, Factory.AuditRecords);
    }

    [Fact]
    public async System.Threading.Tasks.Task Vendor_cannot_match_a_consent_written_for_another_vendor()
    {
        // The consent permits acme-ai only; globex, bound to itself, gets the default policy's deny.
        var (_, uid, _, _) = await SeedPatientAsync();
        var answer = await DecideAsync(TestToken.Vendor(OtherVendor), new { study = uid });
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal("deny", answer.Json.GetProperty("decision").GetString());
        Assert.Equal(OtherVendor, answer.Json.GetProperty("actor").GetString());
        Assert.DoesNotContain("Consent/", answer.Body);
    }
}
