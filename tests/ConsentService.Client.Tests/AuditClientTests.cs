using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using ConsentService.Api.OpenApi;
using ConsentService.Client;
using Task = System.Threading.Tasks.Task;

namespace ConsentService.Client.Tests;

/// <summary>The audit API through the NSwag-generated client: verify the hash chain after decisions, and the
/// accounting of a patient's disclosures after a PACS reported an export (posted as FHIR, as a PACS would,
/// from the document's own example).</summary>
public sealed class AuditClientTests(GeneratedClientFixture service) : IClassFixture<GeneratedClientFixture>
{
    [Fact]
    public async Task Verify_reports_a_valid_chain_that_counts_every_new_event_and_finds_an_anchored_head()
    {
        var client = service.Client();
        var before = await client.VerifyAuditTrailAsync(head: null);

        var (uid, _, _) = await service.SeedAsync(optIn: true); // the study's and the Consent's create events
        var decision = await client.DecideAsync(new DecisionQuery { Study = uid, Actor = GeneratedClientFixture.Vendor });
        var batch = await client.DecideBatchAsync(new BatchDecisionQuery { Studies = [uid, uid], Actor = GeneratedClientFixture.Vendor });

        var after = await client.VerifyAuditTrailAsync(head: null);
        Assert.True(after.Valid);
        Assert.Null(after.FirstInvalid);
        Assert.Null(after.Reason);
        Assert.Equal(before.Events + 2 + 1 + batch.Results.Count, after.Events);
        Assert.Equal(after.Events, after.Chains.Sum(c => c.Events));
        Assert.Matches("^[0-9a-f]{64}$", after.Head);
        Assert.NotEqual(before.Head, after.Head);
        Assert.Equal("permit", decision.Decision);

        var anchored = await client.VerifyAuditTrailAsync(after.Head);
        Assert.True(anchored.Valid);
        Assert.True(anchored.AnchoredHeadFound);

        var invalid = await Assert.ThrowsAsync<ApiException<ProblemDetails>>(() => client.VerifyAuditTrailAsync("not-a-hash"));
        Assert.Equal(400, invalid.StatusCode);
        Assert.Equal("/api/v1/audit/verify", invalid.Result.Instance);
    }

    [Fact]
    public async Task Disclosures_account_for_the_permit_and_the_reported_export_per_recipient()
    {
        var (uid, studyId, consentId) = await service.SeedAsync(optIn: true);
        var patient = await PatientOfAsync(studyId);
        var client = service.Client();
        var decision = await client.DecideAsync(new DecisionQuery
        {
            Study = uid,
            Actor = GeneratedClientFixture.Vendor,
            Purpose = GeneratedClientFixture.MlTraining,
        });
        var exportId = await ReportExportAsync(uid, decision.DecisionId);

        var accounting = await client.AccountDisclosuresAsync(patient);

        Assert.Equal(patient, accounting.Patient);
        var recipient = Assert.Single(accounting.Recipients);
        Assert.Equal(GeneratedClientFixture.Vendor, recipient.Recipient);
        var permitted = Assert.Single(recipient.Permitted);
        Assert.Equal(decision.DecisionId, permitted.DecisionId);
        Assert.Equal($"ImagingStudy/{studyId}", permitted.ImagingStudy);
        Assert.Equal($"Consent/{consentId}/_history/1", permitted.Consent);
        Assert.Equal("MLTRAINING", permitted.Purpose?.Code);
        Assert.Equal(decision.At, permitted.At, TimeSpan.FromSeconds(5));
        var exported = Assert.Single(recipient.Exported);
        Assert.Equal(exportId, exported.EventId);
        Assert.Equal($"ImagingStudy/{studyId}", exported.ImagingStudy);
        Assert.Equal(decision.DecisionId, exported.Decision);
        Assert.Equal($"Consent/{consentId}/_history/1", exported.Consent);
        Assert.Equal("MLTRAINING", exported.Purpose?.Code);

        var invalid = await Assert.ThrowsAsync<ApiException<ProblemDetails>>(() => client.AccountDisclosuresAsync("Organization/acme-ai"));
        Assert.Equal(400, invalid.StatusCode);
        Assert.NotEmpty(invalid.Result.Errors!);
    }

    private async Task<string> PatientOfAsync(string studyId)
    {
        using var http = service.CreateClient();
        var study = JsonNode.Parse(await http.GetStringAsync($"/fhir/ImagingStudy/{studyId}"))!;
        return (string)study["subject"]!["reference"]!;
    }

    /// <summary>Posts the document's own example of a reported export (a BALP privacy disclosure), naming this study
    /// by its DICOM UID and this decision, so the example is proven against the service. Returns the stored id.</summary>
    private async Task<string> ReportExportAsync(string uid, string decisionId)
    {
        var report = JsonNode.Parse(FhirExamples.DisclosureReport)!;
        report["recorded"] = DateTimeOffset.UtcNow.ToString("o", System.Globalization.CultureInfo.InvariantCulture);
        report["entity"]![0]!["what"]!["identifier"]!["value"] = $"urn:oid:{uid}";
        report["entity"]![1]!["what"]!["reference"] = $"AuditEvent/{decisionId}";
        using var http = service.CreateClient();
        using var content = new StringContent(report.ToJsonString(), Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/fhir+json");
        using var response = await http.PostAsync("/fhir/AuditEvent", content);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["id"]!;
    }
}
