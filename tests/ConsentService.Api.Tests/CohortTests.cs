using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ConsentService.Application.Ports;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;

namespace ConsentService.Api.Tests;

/// <summary>Cohort selection: the stream equals the batch decisions of the same studies, filters select by
/// modality, body site (with descendants) and start date, and every streamed line has its AuditEvent.</summary>
public sealed class CohortTests(ConsentServiceFactory factory) : IClassFixture<ConsentServiceFactory>
{
    private const string Vendor = "Organization/acme-ai";

    private sealed record Seeded(string Uid, string Modality, string? BodySite, DateTimeOffset Started);

    private async Task<List<Seeded>> SeedAsync()
    {
        var client = factory.FhirClient();
        var random = new Random(7);
        var seeded = new List<Seeded>();
        (string Modality, string? Site)[] kinds = [("CT", "69536005"), ("MR", "12738006"), ("CR", "51185008"), ("CT", null), ("MR", "45048000")];
        for (var p = 0; p < 30; p++)
        {
            var patient = TestData.NewId();
            var policy = (p % 3) switch { 0 => "OPTIN", 1 => "OPTOUT", _ => "none" };
            if (policy != "none")
            {
                await client.CreateAsync(TestData.Consent(patient, policy));
            }
            for (var s = 0; s < 2; s++)
            {
                var (modality, site) = kinds[random.Next(kinds.Length)];
                var started = new DateTimeOffset(2018 + random.Next(0, 8), random.Next(1, 13), 10, 9, 0, 0, TimeSpan.Zero);
                var uid = TestData.NewUid();
                await client.CreateAsync(TestData.Study(patient, uid, modality, site, started.ToString("yyyy-MM-ddTHH:mm:ssZ")));
                seeded.Add(new Seeded(uid, modality, site, started));
            }
        }
        return seeded;
    }

    private static async Task<(List<JsonNode> Lines, JsonNode Summary)> CohortAsync(HttpClient http, object body)
    {
        var response = await http.PostAsync("/api/v1/decisions/cohort", new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType!.MediaType);
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        var summary = lines[^1]["summary"];
        Assert.NotNull(summary);
        return (lines[..^1], summary!);
    }

    [Fact]
    public async System.Threading.Tasks.Task Cohort_equals_the_batch_decisions_of_the_same_studies()
    {
        var seeded = await SeedAsync();
        using var http = factory.CreateClient();
        var from = new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var filter = new { modality = new[] { "CT", "MR" }, bodySite = new[] { "69536005" }, startedFrom = from };
        var (lines, summary) = await CohortAsync(http, new { actor = Vendor, filter });

        // Head (69536005) includes brain (12738006) by SNOMED descent; neck (45048000) is not under head.
        var expected = seeded.Where(s => s.Modality is "CT" or "MR" && s.BodySite is "69536005" or "12738006" && s.Started >= from).ToList();
        Assert.NotEmpty(expected);
        Assert.Equal(expected.Count, (int)summary["matched"]!);

        var (status, batchText) = await PostAsync(http, "/api/v1/decisions/batch", new { studies = expected.Select(e => e.Uid), actor = Vendor });
        Assert.Equal(HttpStatusCode.OK, status);
        var batch = JsonNode.Parse(batchText)!["results"]!.AsArray();
        var permittedByBatch = batch.Where(r => (string?)r!["decision"] == "permit").ToDictionary(r => (string)r!["study"]!);
        Assert.Equal(permittedByBatch.Keys.Order(), lines.Select(l => (string)l["study"]!).Order());
        Assert.Equal(permittedByBatch.Count, (int)summary["permitted"]!);
        Assert.Equal(batch.Count(r => (string?)r!["decision"] == "deny" && (string?)r!["basis"] == "consent"), (int)summary["deniedByConsent"]!);
        Assert.Equal(batch.Count(r => (string?)r!["decision"] == "deny" && (string?)r!["basis"] == "policy"), (int)summary["deniedByPolicy"]!);
        Assert.True((int)summary["permitted"]! > 0 && (int)summary["deniedByConsent"]! > 0 && (int)summary["deniedByPolicy"]! > 0,
            "the generated data must exercise every outcome");
        foreach (var line in lines)
        {
            var fromBatch = permittedByBatch[(string)line["study"]!]!;
            foreach (var field in new[] { "decision", "basis", "consent", "provisionPath", "imagingStudy", "reasons", "obligations", "policy", "actor", "purpose", "action" })
            {
                Assert.Equal(fromBatch[field]?.ToJsonString(), line[field]?.ToJsonString());
            }
        }

        var audit = factory.Services.GetRequiredService<IAuditLog>();
        foreach (var line in lines)
        {
            Assert.NotNull(await audit.ReadAsync((string)line["decisionId"]!, CancellationToken.None));
        }

        // No filter: every registered study is decided.
        var (_, all) = await CohortAsync(http, new { actor = Vendor });
        Assert.Equal(seeded.Count, (int)all["matched"]!);
    }

    [Fact]
    public async System.Threading.Tasks.Task Every_line_of_a_long_cohort_is_audited_before_it_arrives()
    {
        // 1,300 studies (several chunks of 512, decided while the previous chunk commits) in a date range of their own.
        var day = new DateTimeOffset(1990, 1, 1, 8, 0, 0, TimeSpan.Zero).AddDays(Random.Shared.Next(0, 3000));
        var client = factory.FhirClient();
        for (var bundleNo = 0; bundleNo < 2; bundleNo++)
        {
            var bundle = new Bundle { Type = Bundle.BundleType.Transaction };
            for (var p = 0; p < 65; p++)
            {
                var patient = TestData.NewId();
                bundle.Entry.Add(new Bundle.EntryComponent
                {
                    FullUrl = "urn:uuid:" + Guid.NewGuid(),
                    Resource = TestData.Consent(patient),
                    Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = "Consent" },
                });
                for (var s = 0; s < 10; s++)
                {
                    bundle.Entry.Add(new Bundle.EntryComponent
                    {
                        FullUrl = "urn:uuid:" + Guid.NewGuid(),
                        Resource = TestData.Study(patient, TestData.NewUid(), "CT", "69536005", day.ToString("yyyy-MM-ddTHH:mm:ssZ")),
                        Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = "ImagingStudy" },
                    });
                }
            }
            await client.TransactionAsync(bundle);
        }

        using var http = factory.CreateClient();
        var body = new { actor = Vendor, filter = new { startedFrom = day.AddHours(-1), startedTo = day.AddHours(1) } };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/decisions/cohort")
        {
            Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"),
        };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var audit = factory.Services.GetRequiredService<IAuditLog>();
        var decisions = 0;
        JsonNode? summary = null;
        while (await reader.ReadLineAsync() is { } text)
        {
            var line = JsonNode.Parse(text)!;
            if (line["summary"] is { } last)
            {
                summary = last;
                break;
            }
            // Read at arrival, before the next line is taken from the stream.
            Assert.NotNull(await audit.ReadAsync((string)line["decisionId"]!, CancellationToken.None));
            decisions++;
        }
        Assert.NotNull(summary);
        Assert.Equal(1300, (int)summary!["matched"]!);
        Assert.Equal(1300, (int)summary["permitted"]!);
        Assert.Equal(1300, decisions);
    }

    [Theory]
    [InlineData("""{"filter":{"modality":["CT"]}}""", "actor")]
    [InlineData("""{"actor":"Organization/acme-ai","filter":{"startedFrom":"2024-01-01T00:00:00Z","startedTo":"2020-01-01T00:00:00Z"}}""", "filter.startedFrom")]
    [InlineData("""{"actor":"Organization/acme-ai","filter":{"colour":"red"}}""", "colour")]
    public async System.Threading.Tasks.Task Invalid_cohort_requests_are_400(string body, string field)
    {
        using var http = factory.CreateClient();
        var response = await http.PostAsync("/api/v1/decisions/cohort", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull(JsonNode.Parse(await response.Content.ReadAsStringAsync())!["errors"]![field]);
    }

    private static async Task<(HttpStatusCode, string)> PostAsync(HttpClient http, string path, object body)
    {
        var response = await http.PostAsync(path, new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}

/// <summary>The order of a cohort's lines shows a vendor nothing about which studies belong together: studies
/// registered patient by patient come out in ImagingStudy id order (ids are random), not in registration order.</summary>
public sealed class CohortOrderTests(ConsentServiceFactory factory) : IClassFixture<ConsentServiceFactory>
{
    [Fact]
    public async System.Threading.Tasks.Task Lines_come_in_imaging_study_id_order_not_patient_by_patient()
    {
        var client = factory.FhirClient();
        var registered = new List<(string Patient, string StudyId)>();
        for (var p = 0; p < 4; p++)
        {
            var patient = TestData.NewId();
            await client.CreateAsync(TestData.Consent(patient));
            for (var s = 0; s < 4; s++)
            {
                var study = await client.CreateAsync(TestData.Study(patient, TestData.NewUid(), "PT", "69536005"));
                registered.Add((patient, study!.Id!));
            }
        }
        using var http = factory.CreateClient();
        var body = new { actor = "Organization/acme-ai", filter = new { modality = new[] { "PT" } } };
        var response = await http.PostAsync("/api/v1/decisions/cohort", new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var streamed = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonNode.Parse(l)!).Where(l => l["imagingStudy"] is not null)
            .Select(l => ((string)l["imagingStudy"]!)["ImagingStudy/".Length..]).ToList();

        Assert.Equal(registered.Select(r => r.StudyId).Order(StringComparer.Ordinal), streamed);
        // Registered patient by patient, four studies each: the stream does not keep them together.
        Assert.NotEqual(registered.Select(r => r.StudyId), streamed);
    }
}

