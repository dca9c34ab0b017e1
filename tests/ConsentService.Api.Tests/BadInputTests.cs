using System.Net;
using System.Text;
using System.Text.Json;
using Hl7.Fhir.Model;

namespace ConsentService.Api.Tests;

/// <summary>Bad input gets a clear error and nothing is stored: each case checks the status, the
/// OperationOutcome (with the element named where there is one), and that the store is unchanged.</summary>
public sealed class BadInputTests(ConsentServiceFactory factory) : IClassFixture<ConsentServiceFactory>
{
    private const string ValidPatient = "bad-input-patient";

    private async Task<int> StoredVersionsAsync(HttpClient http)
    {
        var consents = await http.GetFromJsonDocumentAsync("/fhir/Consent/_history?_count=0");
        var studies = await http.GetFromJsonDocumentAsync("/fhir/ImagingStudy/_history?_count=0");
        return consents.RootElement.GetProperty("total").GetInt32() + studies.RootElement.GetProperty("total").GetInt32();
    }

    private async Task<JsonDocument> ExpectRejectedAsync(HttpMethod method, string url, string body, string contentType, HttpStatusCode expected)
    {
        using var http = factory.CreateClient();
        var before = await StoredVersionsAsync(http);
        using var request = new HttpRequestMessage(method, url) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        var response = await http.SendAsync(request);
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/fhir+json", response.Content.Headers.ContentType!.MediaType);
        var outcome = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("OperationOutcome", outcome.RootElement.GetProperty("resourceType").GetString());
        Assert.Equal("error", outcome.RootElement.GetProperty("issue")[0].GetProperty("severity").GetString());
        Assert.Equal(before, await StoredVersionsAsync(http));
        return outcome;
    }

    private static string[] Expressions(JsonDocument outcome) =>
        outcome.RootElement.GetProperty("issue").EnumerateArray()
            .SelectMany(i => i.TryGetProperty("expression", out var e) ? e.EnumerateArray().Select(x => x.GetString()!) : [])
            .ToArray();

    private static string ConsentJson(Action<Consent>? change = null)
    {
        var consent = TestData.Consent(ValidPatient);
        change?.Invoke(consent);
        return TestData.Json(consent);
    }

    [Theory]
    [InlineData("{ not json")]
    [InlineData("[1,2,3]")]
    [InlineData("{\"status\":\"active\"}")]
    [InlineData("")]
    public async System.Threading.Tasks.Task Unparseable_json_is_400(string body) =>
        await ExpectRejectedAsync(HttpMethod.Post, "/fhir/Consent", body, "application/fhir+json", HttpStatusCode.BadRequest);

    [Fact]
    public async System.Threading.Tasks.Task Malformed_xml_is_400() =>
        await ExpectRejectedAsync(HttpMethod.Post, "/fhir/Consent", "<Consent xmlns=\"http://hl7.org/fhir\"><status value=\"active\">", "application/fhir+xml", HttpStatusCode.BadRequest);

    [Fact]
    public async System.Threading.Tasks.Task Resource_type_differing_from_the_url_is_400() =>
        await ExpectRejectedAsync(HttpMethod.Post, "/fhir/ImagingStudy", ConsentJson(), "application/fhir+json", HttpStatusCode.BadRequest);

    [Fact]
    public async System.Threading.Tasks.Task Put_with_a_different_id_in_the_body_is_400() =>
        await ExpectRejectedAsync(HttpMethod.Put, "/fhir/Consent/one-id", ConsentJson(c => c.Id = "another-id"), "application/fhir+json", HttpStatusCode.BadRequest);

    [Fact]
    public async System.Threading.Tasks.Task Unsupported_media_type_is_415() =>
        await ExpectRejectedAsync(HttpMethod.Post, "/fhir/Consent", ConsentJson(), "text/plain", HttpStatusCode.UnsupportedMediaType);

    [Theory]
    [InlineData("\"foo\":1", "Consent.foo")]
    [InlineData("\"status\":\"maybe\"", "Consent.status")]
    [InlineData("\"dateTime\":5", "Consent.dateTime")]
    [InlineData("\"provision\":{\"type\":\"perhaps\"}", "Consent.provision.type")]
    public async System.Threading.Tasks.Task Structural_errors_are_422_naming_the_element(string replacement, string expression)
    {
        var json = ConsentJson(c => { c.Provision = null; c.DateTime = null; });
        var node = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
        var patch = System.Text.Json.Nodes.JsonNode.Parse("{" + replacement + "}")!.AsObject();
        foreach (var (key, value) in patch.ToList())
        {
            patch.Remove(key);
            node[key] = value;
        }
        var outcome = await ExpectRejectedAsync(HttpMethod.Post, "/fhir/Consent", node.ToJsonString(), "application/fhir+json", (HttpStatusCode)422);
        Assert.Contains(expression, Expressions(outcome));
    }

    [Fact]
    public async System.Threading.Tasks.Task Missing_required_element_is_422()
    {
        var outcome = await ExpectRejectedAsync(HttpMethod.Post, "/fhir/Consent", ConsentJson(c => c.Category.Clear()), "application/fhir+json", (HttpStatusCode)422);
        Assert.Contains("Consent.category", Expressions(outcome));
    }

    [Fact]
    public async System.Threading.Tasks.Task Xml_structural_error_is_422()
    {
        const string xml = "<Consent xmlns=\"http://hl7.org/fhir\"><status value=\"active\"/><bogus value=\"1\"/></Consent>";
        var outcome = await ExpectRejectedAsync(HttpMethod.Post, "/fhir/Consent", xml, "application/fhir+xml", (HttpStatusCode)422);
        Assert.Contains("Consent.bogus", Expressions(outcome));
    }

    public static TheoryData<string, string> BusinessRuleViolations => new()
    {
        { ConsentJson(c => c.Patient = null), "Consent.patient" },
        { ConsentJson(c => c.PolicyRule = null), "Consent.policyRule" },
        { ConsentJson(c => c.Provision!.Provision.Add(new Consent.provisionComponent { Purpose = [new Coding(TestData.ActReason, "HRESCH")] })), "Consent.provision.provision[0].type" },
        { ConsentJson(c => c.Provision!.Period = new Period { Start = "2026-01-01", End = "2025-01-01" }), "Consent.provision.period" },
        {
            ConsentJson(c => c.Provision!.Provision.Add(new Consent.provisionComponent
            {
                Type = Consent.ConsentProvisionType.Deny,
                Provision = [new Consent.provisionComponent { DataPeriod = new Period { Start = "2024-05-01", End = "2024-04-01" }, Type = Consent.ConsentProvisionType.Permit }],
            })),
            "Consent.provision.provision[0].provision[0].dataPeriod"
        },
    };

    [Theory]
    [MemberData(nameof(BusinessRuleViolations))]
    public async System.Threading.Tasks.Task Consent_business_rules_are_422_naming_the_element(string json, string expression)
    {
        var outcome = await ExpectRejectedAsync(HttpMethod.Post, "/fhir/Consent", json, "application/fhir+json", (HttpStatusCode)422);
        Assert.Contains(expression, Expressions(outcome));
    }

    [Fact]
    public async System.Threading.Tasks.Task Consent_business_rules_also_apply_to_put()
    {
        var outcome = await ExpectRejectedAsync(HttpMethod.Put, "/fhir/Consent/put-rule", ConsentJson(c => { c.Id = "put-rule"; c.Patient = null; }), "application/fhir+json", (HttpStatusCode)422);
        Assert.Contains("Consent.patient", Expressions(outcome));
    }

    [Fact]
    public async System.Threading.Tasks.Task Imaging_study_needs_a_subject_and_a_study_uid()
    {
        var noSubject = TestData.Study("p", TestData.NewUid());
        noSubject.Subject = null!;
        var o1 = await ExpectRejectedAsync(HttpMethod.Post, "/fhir/ImagingStudy", TestData.Json(noSubject), "application/fhir+json", (HttpStatusCode)422);
        Assert.Contains("ImagingStudy.subject", Expressions(o1));

        var noUid = TestData.Study("p", TestData.NewUid());
        noUid.Identifier = [new Identifier("urn:example:accession", "A123")];
        var o2 = await ExpectRejectedAsync(HttpMethod.Post, "/fhir/ImagingStudy", TestData.Json(noUid), "application/fhir+json", (HttpStatusCode)422);
        Assert.Contains("ImagingStudy.identifier", Expressions(o2));
    }

    [Fact]
    public async System.Threading.Tasks.Task Bodies_over_ten_mebibytes_are_413()
    {
        var consent = TestData.Consent(ValidPatient);
        consent.Text = new Narrative { Status = Narrative.NarrativeStatus.Generated, Div = "<div xmlns=\"http://www.w3.org/1999/xhtml\">" + new string('x', 11 * 1024 * 1024) + "</div>" };
        await ExpectRejectedAsync(HttpMethod.Post, "/fhir/Consent", TestData.Json(consent), "application/fhir+json", HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async System.Threading.Tasks.Task Malformed_if_match_is_400()
    {
        using var http = factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Put, "/fhir/Consent/if-match-case") { Content = new StringContent(ConsentJson(c => c.Id = "if-match-case"), Encoding.UTF8, "application/fhir+json") };
        request.Headers.TryAddWithoutValidation("If-Match", "W/\"abc\"");
        var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/fhir/Consent/if-match-case")).StatusCode);
    }

    [Fact]
    public async System.Threading.Tasks.Task Unknown_resource_is_404_with_outcome()
    {
        using var http = factory.CreateClient();
        var response = await http.GetAsync("/fhir/Consent/does-not-exist");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("OperationOutcome", await response.Content.ReadAsStringAsync());
    }
}

internal static class HttpClientJsonExtensions
{
    public static async Task<JsonDocument> GetFromJsonDocumentAsync(this HttpClient http, string url)
    {
        var response = await http.GetAsync(url);
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    }
}
