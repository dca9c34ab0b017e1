using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ConsentService.Application.Ports;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.DependencyInjection;

namespace ConsentService.Api.Tests;

/// <summary>The decision API through the real pipeline: contract, errors, audit record, freshness and "as of".</summary>
public sealed class DecisionApiTests(ConsentServiceFactory factory) : IClassFixture<ConsentServiceFactory>
{
    private const string Vendor = "Organization/acme-ai";

    private async Task<(string Patient, string Uid, string ConsentId)> SeedAsync(string policyRule = "OPTIN", string modality = "CT", string? bodySite = "69536005")
    {
        var client = factory.FhirClient();
        var patient = TestData.NewId();
        var uid = TestData.NewUid();
        await client.CreateAsync(TestData.Study(patient, uid, modality, bodySite));
        var consent = await client.CreateAsync(TestData.Consent(patient, policyRule));
        return (patient, uid, consent!.Id!);
    }

    private static async Task<(HttpStatusCode Status, JsonNode Body)> PostAsync(HttpClient http, string path, object body)
    {
        var response = await http.PostAsync(path, new StringContent(body is string s ? s : JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonNode.Parse(text.Length == 0 ? "{}" : text)!);
    }

    [Fact]
    public async System.Threading.Tasks.Task Permit_carries_basis_consent_version_path_and_obligations_and_no_patient()
    {
        var (patient, uid, consentId) = await SeedAsync();
        using var http = factory.CreateClient();
        var (status, body) = await PostAsync(http, "/api/v1/decisions", new { study = uid, actor = Vendor });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("permit", (string?)body["decision"]);
        Assert.Equal("consent", (string?)body["basis"]);
        Assert.Equal(uid, (string?)body["study"]);
        Assert.StartsWith("ImagingStudy/", (string?)body["imagingStudy"]);
        Assert.Equal($"Consent/{consentId}/_history/1", (string?)body["consent"]);
        Assert.Equal("provision", (string?)body["provisionPath"]);
        Assert.Equal("MLTRAINING", (string?)body["purpose"]!["code"]);
        Assert.Equal("use", (string?)body["action"]);
        Assert.Equal("opt-in", (string?)body["policy"]!["id"]);
        var obligations = body["obligations"]!.AsArray().Select(o => (string)o!["code"]!).ToArray();
        Assert.Equal(["DEID", "113102"], obligations); // CT of the head: de-identify and deface
        Assert.NotEmpty(body["reasons"]!.AsArray());
        Assert.DoesNotContain(patient, body.ToJsonString());
        Assert.True(Guid.TryParse((string?)body["decisionId"], out _));
    }

    [Fact]
    public async System.Threading.Tasks.Task Decision_ids_are_in_the_time_order_of_the_request_and_so_reveal_no_grouping_by_patient()
    {
        // Three patients, three studies each, asked interleaved: the service loads each patient's consents once, but
        // decides (and so names) the studies in request order, so sorting the ids gives back only the request order.
        var client = factory.FhirClient();
        var studies = new List<string>[3];
        for (var p = 0; p < studies.Length; p++)
        {
            var patient = TestData.NewId();
            studies[p] = [];
            for (var s = 0; s < 3; s++)
            {
                var uid = TestData.NewUid();
                await client.CreateAsync(TestData.Study(patient, uid));
                studies[p].Add(uid);
            }
            await client.CreateAsync(TestData.Consent(patient));
        }
        var interleaved = Enumerable.Range(0, 3).SelectMany(s => studies.Select(p => p[s])).ToArray();
        using var http = factory.CreateClient();
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var (status, body) = await PostAsync(http, "/api/v1/decisions/batch", new { studies = interleaved, actor = Vendor });
        var after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Assert.Equal(HttpStatusCode.OK, status);
        var ids = body["results"]!.AsArray().Select(r => (string)r!["decisionId"]!).ToArray();
        Assert.Equal(interleaved, body["results"]!.AsArray().Select(r => (string)r!["study"]!));
        Assert.All(ids, id => Assert.Equal(7, Guid.Parse(id).Version));
        var times = ids.Select(id => Convert.ToInt64(id.Replace("-", "", StringComparison.Ordinal)[..12], 16)).ToArray();
        Assert.All(times, t => Assert.InRange(t, before, after));
        Assert.Equal(times.Order(), times); // non-decreasing in request order
        Assert.Equal(ids.Length, ids.Distinct().Count());
    }

    [Fact]
    public async System.Threading.Tasks.Task Decision_is_recorded_durably_as_an_audit_event_with_its_id()
    {
        var (patient, uid, _) = await SeedAsync();
        using var http = factory.CreateClient();
        var (_, body) = await PostAsync(http, "/api/v1/decisions", new { study = $"urn:oid:{uid}", actor = Vendor });
        var audit = factory.Services.GetRequiredService<IAuditLog>();
        var record = await audit.ReadAsync((string)body["decisionId"]!, CancellationToken.None);
        Assert.NotNull(record);
        Assert.True(ConsentService.Application.Audit.DecisionAuditEvent.IsDecisionRecord(record!.Json)); // stored as its decision record
        var auditEvent = Hl7.Fhir.Serialization.FhirJsonDeserializer.DEFAULT.DeserializeResource(ConsentService.Application.Audit.StoredAuditEvents.Fhir(record.Json)) as AuditEvent;
        Assert.Equal("110113", auditEvent!.Type.Code);
        Assert.Contains(auditEvent.Entity, e => e.What?.Reference == $"Patient/{patient}");
        Assert.Contains(auditEvent.Entity, e => e.What?.Identifier?.Value == $"urn:oid:{uid}");
        Assert.Contains(auditEvent.Agent, a => a.Who?.Reference == Vendor);
    }

    [Fact]
    public async System.Threading.Tasks.Task Opt_out_and_no_consent_are_denied_with_the_right_basis()
    {
        var (_, optedOut, _) = await SeedAsync("OPTOUT");
        var client = factory.FhirClient();
        var noConsentUid = TestData.NewUid();
        await client.CreateAsync(TestData.Study(TestData.NewId(), noConsentUid));
        using var http = factory.CreateClient();
        var (_, byConsent) = await PostAsync(http, "/api/v1/decisions", new { study = optedOut, actor = Vendor });
        Assert.Equal("deny", (string?)byConsent["decision"]);
        Assert.Equal("consent", (string?)byConsent["basis"]);
        Assert.Empty(byConsent["obligations"]!.AsArray());
        var (_, byPolicy) = await PostAsync(http, "/api/v1/decisions", new { study = noConsentUid, actor = Vendor });
        Assert.Equal("deny", (string?)byPolicy["decision"]);
        Assert.Equal("policy", (string?)byPolicy["basis"]);
        Assert.Null(byPolicy["consent"]);
    }

    [Fact]
    public async System.Threading.Tasks.Task Study_by_imaging_study_reference_and_unknown_study_404()
    {
        var client = factory.FhirClient();
        var patient = TestData.NewId();
        var study = await client.CreateAsync(TestData.Study(patient, TestData.NewUid(), "XA", "51185008"));
        await client.CreateAsync(TestData.Consent(patient));
        using var http = factory.CreateClient();
        var (status, body) = await PostAsync(http, "/api/v1/decisions", new { study = $"ImagingStudy/{study!.Id}", actor = Vendor });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["DEID"], body["obligations"]!.AsArray().Select(o => (string)o!["code"]!).ToArray());

        var (missing, problem) = await PostAsync(http, "/api/v1/decisions", new { study = "1.2.3.4.5.6.7.8.9", actor = Vendor });
        Assert.Equal(HttpStatusCode.NotFound, missing);
        Assert.Equal(404, (int?)problem["status"]);
    }

    public static TheoryData<string, string> InvalidRequests => new()
    {
        { """{"actor":"Organization/acme-ai"}""", "study" },
        { """{"study":"not a uid","actor":"Organization/acme-ai"}""", "study" },
        { """{"study":"1.2.3","actor":"acme-ai"}""", "actor" },
        { """{"study":"1.2.3","actor":"Patient/p1"}""", "actor" },
        { """{"study":"1.2.3"}""", "actor" },
        { """{"study":"1.2.3","actor":"Organization/acme-ai","purpose":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActReason","code":"NOTAPURPOSE"}}""", "purpose" },
        { """{"study":"1.2.3","actor":"Organization/acme-ai","action":"eat"}""", "action" },
        { """{"study":"1.2.3","actor":"Organization/acme-ai","at":"2999-01-01T00:00:00Z"}""", "at" },
        { """{"study":"1.2.3","actor":"Organization/acme-ai","at":"yesterday"}""", "at" },
        { """{"study":"1.2.3","actor":"Organization/acme-ai","color":"blue"}""", "color" },
        { """{"study":"1.2.3","actor":"Organization/acme-ai","actorIdentifier":{"system":"urn:x"}}""", "actorIdentifier" },
        { "{ not json", "" },
    };

    [Theory]
    [MemberData(nameof(InvalidRequests))]
    public async System.Threading.Tasks.Task Invalid_requests_are_400_problem_details_naming_the_field(string body, string field)
    {
        using var http = factory.CreateClient();
        var response = await http.PostAsync("/api/v1/decisions", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(400, (int?)problem["status"]);
        if (field.Length > 0)
        {
            Assert.NotNull(problem["errors"]![field]);
        }
    }

    [Fact]
    public async System.Threading.Tasks.Task Wrong_media_type_is_415_problem_details()
    {
        using var http = factory.CreateClient();
        var response = await http.PostAsync("/api/v1/decisions", new StringContent("study=1.2.3", Encoding.UTF8, "application/x-www-form-urlencoded"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async System.Threading.Tasks.Task Batch_answers_in_order_with_unknown_studies_and_a_summary()
    {
        var (_, permitted, _) = await SeedAsync();
        var (_, optedOut, _) = await SeedAsync("OPTOUT");
        using var http = factory.CreateClient();
        var (status, body) = await PostAsync(http, "/api/v1/decisions/batch", new { studies = new[] { permitted, "1.2.3.999", optedOut, $"urn:oid:{permitted}" }, actor = Vendor });
        Assert.Equal(HttpStatusCode.OK, status);
        var results = body["results"]!.AsArray();
        Assert.Equal(["permit", "deny", "deny", "permit"], results.Select(r => (string)r!["decision"]!).ToArray());
        Assert.Equal(["consent", "unknown-study", "consent", "consent"], results.Select(r => (string)r!["basis"]!).ToArray());
        Assert.Equal(2, (int?)body["summary"]!["permit"]);
        Assert.Equal(1, (int?)body["summary"]!["deny"]);
        Assert.Equal(1, (int?)body["summary"]!["unknownStudy"]);
        Assert.Equal(4, results.Select(r => (string?)r!["decisionId"]).Distinct().Count());
    }

    [Fact]
    public async System.Threading.Tasks.Task Batch_answer_is_exactly_the_decision_APIs_JSON_with_its_content_type()
    {
        var (_, permitted, _) = await SeedAsync();
        using var http = factory.CreateClient();
        var studies = Enumerable.Repeat(permitted, 300).Append("1.2.3.999").ToArray();
        var response = await http.PostAsync("/api/v1/decisions/batch",
            new StringContent(JsonSerializer.Serialize(new { studies, actor = Vendor }), Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        // exactly what the decision API's source-generated serializer writes for the results it reads back
        var type = ConsentService.Api.Endpoints.DecisionJsonContext.Default.BatchDecisionResult;
        var parsed = JsonSerializer.Deserialize(text, type)!;
        Assert.Equal(301, parsed.Results.Count);
        Assert.Equal(new ConsentService.Application.Decisions.BatchSummary(300, 0, 1), parsed.Summary);
        Assert.Equal(JsonSerializer.Serialize(parsed, type), text);
    }

    [Fact]
    public async System.Threading.Tasks.Task Batch_over_ten_thousand_studies_is_400()
    {
        using var http = factory.CreateClient();
        var studies = Enumerable.Range(0, 10_001).Select(i => $"1.2.3.{i}").ToArray();
        var (status, body) = await PostAsync(http, "/api/v1/decisions/batch", new { studies, actor = Vendor });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.NotNull(body["errors"]!["studies"]);
    }

    [Fact]
    public async System.Threading.Tasks.Task A_revocation_takes_effect_at_once_and_at_replays_the_past()
    {
        var (_, uid, consentId) = await SeedAsync();
        var client = factory.FhirClient();
        using var http = factory.CreateClient();
        Assert.Equal("permit", (string?)(await PostAsync(http, "/api/v1/decisions", new { study = uid, actor = Vendor })).Body["decision"]);

        var consent = await client.ReadAsync<Consent>($"Consent/{consentId}");
        var before = consent!.Meta!.LastUpdated!.Value;
        consent.Status = Consent.ConsentState.Inactive;
        var revoked = await client.UpdateAsync(consent);
        var revokedAt = revoked!.Meta!.LastUpdated!.Value;

        var (_, now) = await PostAsync(http, "/api/v1/decisions", new { study = uid, actor = Vendor });
        Assert.Equal("deny", (string?)now["decision"]);
        Assert.Equal("policy", (string?)now["basis"]);

        var between = before + (revokedAt - before) / 2;
        var (_, past) = await PostAsync(http, "/api/v1/decisions", new { study = uid, actor = Vendor, at = between });
        Assert.Equal("permit", (string?)past["decision"]);
        Assert.Equal($"Consent/{consentId}/_history/1", (string?)past["consent"]);

        var (_, beforeAnything) = await PostAsync(http, "/api/v1/decisions", new { study = uid, actor = Vendor, at = before.AddDays(-1) });
        Assert.Equal(HttpStatusCode.NotFound, (await http.PostAsJsonAsync("/api/v1/decisions", new { study = uid, actor = Vendor, at = before.AddDays(-1) })).StatusCode);
        Assert.Equal(404, (int?)beforeAnything["status"]);

        await client.DeleteAsync($"Consent/{consentId}");
        var (_, afterDelete) = await PostAsync(http, "/api/v1/decisions", new { study = uid, actor = Vendor, at = between });
        Assert.Equal("permit", (string?)afterDelete["decision"]); // history keeps what was true then
    }

    [Fact]
    public async System.Threading.Tasks.Task Contradictory_root_type_is_refused_at_write()
    {
        var consent = TestData.Consent(TestData.NewId(), "OPTIN");
        consent.Provision!.Type = Consent.ConsentProvisionType.Deny;
        using var http = factory.CreateClient();
        var response = await http.PostAsync("/fhir/Consent", new StringContent(TestData.Json(consent), Encoding.UTF8, "application/fhir+json"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("Consent.provision.type", await response.Content.ReadAsStringAsync());
    }
}
