using System.Net;
using System.Text;
using Hl7.Fhir.Model;

namespace ConsentService.Api.Tests;

/// <summary>Concurrent writers through HTTP: If-Match gives exactly one winner per version, and unconditional
/// updates are all kept as versions (no lost update).</summary>
public sealed class ConcurrencyTests(ConsentServiceFactory factory) : IClassFixture<ConsentServiceFactory>
{
    private static StringContent Body(Consent consent) => new(TestData.Json(consent), Encoding.UTF8, "application/fhir+json");

    /// <summary>Creates version 1 of a consent with a client id; returns the id and the body to send again.</summary>
    private static async Task<(string Id, Consent Consent)> CreateAsync(HttpClient http, string prefix)
    {
        var consent = TestData.Consent(TestData.NewId());
        consent.Id = $"{prefix}-{TestData.NewId()}";
        Assert.Equal(HttpStatusCode.Created, (await http.PutAsync($"/fhir/Consent/{consent.Id}", Body(consent))).StatusCode);
        return (consent.Id, consent);
    }

    [Fact]
    public async System.Threading.Tasks.Task Parallel_puts_with_the_same_if_match_have_exactly_one_winner()
    {
        using var http = factory.CreateClient();
        var (id, consent) = await CreateAsync(http, "race");

        var attempts = Enumerable.Range(0, 16).Select(async i =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Put, $"/fhir/Consent/{id}") { Content = Body(consent) };
            request.Headers.TryAddWithoutValidation("If-Match", "W/\"1\"");
            return (await http.SendAsync(request)).StatusCode;
        });
        var statuses = await System.Threading.Tasks.Task.WhenAll(attempts);
        Assert.Single(statuses, s => s == HttpStatusCode.OK);
        Assert.Equal(15, statuses.Count(s => s == HttpStatusCode.PreconditionFailed));
        var read = await http.GetAsync($"/fhir/Consent/{id}");
        Assert.Equal("W/\"2\"", read.Headers.ETag!.ToString());
    }

    [Fact]
    public async System.Threading.Tasks.Task Parallel_unconditional_updates_lose_nothing()
    {
        using var http = factory.CreateClient();
        var (id, consent) = await CreateAsync(http, "many");
        var statuses = await System.Threading.Tasks.Task.WhenAll(Enumerable.Range(0, 20).Select(async _ => (await http.PutAsync($"/fhir/Consent/{id}", Body(consent))).StatusCode));
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        var history = await http.GetFromJsonDocumentAsync($"/fhir/Consent/{id}/_history?_count=100");
        Assert.Equal(21, history.RootElement.GetProperty("total").GetInt32());
    }
}
