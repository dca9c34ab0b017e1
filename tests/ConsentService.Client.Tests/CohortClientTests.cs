using System.Net.Http.Json;
using System.Text.Json;
using ConsentService.Client;

namespace ConsentService.Client.Tests;

/// <summary>
/// The cohort answer is an NDJSON stream, which the NSwag-generated <c>DecideCohortAsync</c> cannot read (it
/// deserializes the whole body as one DecisionResult). What the generated code does cover is the contract: the
/// request is the generated <see cref="CohortQuery"/>, and each line is read into the generated
/// <see cref="DecisionResult"/> or <see cref="CohortSummaryLine"/>, posted to the generated client's BaseUrl.
/// The service here has its own database, so the cohort holds exactly what this test registered.
/// </summary>
public sealed class CohortClientTests(GeneratedClientFixture service) : IClassFixture<GeneratedClientFixture>
{
    [Fact]
    public async System.Threading.Tasks.Task A_cohort_stream_reads_line_by_line_into_the_generated_types()
    {
        var permitted = await service.SeedAsync(optIn: true, "MR", "12738006", "2023-03-01T09:00:00Z");
        var optedOut = await service.SeedAsync(optIn: false, "MR", "12738006", "2023-03-02T09:00:00Z");
        var noConsent = await service.SeedAsync(optIn: null, "MR", "12738006", "2023-03-03T09:00:00Z");
        await service.SeedAsync(optIn: true, "CT", "12738006", "2023-03-04T09:00:00Z"); // outside the filter

        var client = (ConsentServiceClient)service.Client();
        var query = new CohortQuery
        {
            Actor = GeneratedClientFixture.Vendor,
            Purpose = GeneratedClientFixture.MlTraining,
            Filter = new CohortFilter { Modality = ["MR"], StartedFrom = DateTimeOffset.Parse("2023-01-01T00:00:00Z") },
        };
        using var http = service.CreateClient();
        using var response = await http.PostAsJsonAsync(new Uri(new Uri(client.BaseUrl), "api/v1/decisions/cohort"), query);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);

        var results = new List<DecisionResult>();
        CohortSummaryLine? summary = null;
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        while (await reader.ReadLineAsync() is { Length: > 0 } line)
        {
            Assert.Null(summary); // nothing follows the summary line
            if (line.StartsWith("{\"summary\"", StringComparison.Ordinal))
            {
                summary = JsonSerializer.Deserialize<CohortSummaryLine>(line);
            }
            else
            {
                results.Add(JsonSerializer.Deserialize<DecisionResult>(line)!);
            }
        }

        var permit = Assert.Single(results);
        Assert.Equal(permitted.Uid, permit.Study);
        Assert.Equal("permit", permit.Decision);
        Assert.Equal($"Consent/{permitted.ConsentId}/_history/1", permit.Consent);
        Assert.DoesNotContain(results, r => r.Study == optedOut.Uid || r.Study == noConsent.Uid);
        Assert.NotNull(summary);
        Assert.Equal(3, summary!.Summary.Matched);
        Assert.Equal(1, summary.Summary.Permitted);
        Assert.Equal(1, summary.Summary.DeniedByConsent);
        Assert.Equal(1, summary.Summary.DeniedByPolicy);
    }
}
