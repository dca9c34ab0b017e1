using System.Net;

namespace ConsentService.Api.Tests.Security;

/// <summary>The per-client token bucket: over the limit is 429 with Retry-After and the surface's error format;
/// nothing is stored by a refused write; clients do not share buckets; health stays reachable.</summary>
public sealed class RateLimitTests(RateLimitTests.LowLimitFactory factory) : SecurityTestBase(factory), IClassFixture<RateLimitTests.LowLimitFactory>
{
    public sealed class LowLimitFactory : SecureServiceFactory
    {
        protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
        {
            ["RateLimiting:PermitsPerSecond"] = "1",
            ["RateLimiting:Burst"] = "3",
        };
    }

    private static TestToken Client(string id) => TestToken.System("system/Consent.cruds ai-training.decide") with { ClientId = id };

    /// <summary>Spends the client's bucket, then sends <paramref name="send"/>; the bucket refills one permit a
    /// second, so if a refill slipped in between, the attempt is repeated.</summary>
    private async Task<(Answer Answer, string Patient)> OverTheLimitAsync(TestToken token, Func<string, Task<Answer>> send)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            for (var i = 0; i < 10 && (await GetAsync(token, "/fhir/Consent?_count=1")).Status != HttpStatusCode.TooManyRequests; i++)
            {
            }
            var patient = TestData.NewId();
            var answer = await send(patient);
            if (answer.Status == HttpStatusCode.TooManyRequests)
            {
                return (answer, patient);
            }
        }
        throw new Xunit.Sdk.XunitException("The limit was never reached.");
    }

    [Fact]
    public async System.Threading.Tasks.Task Over_the_limit_is_429_with_retry_after_and_nothing_is_stored()
    {
        var token = Client("burst-" + TestData.NewId());
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await GetAsync(token, "/fhir/Consent?_count=1")).Status);
        }
        var (refused, patient) = await OverTheLimitAsync(token, p => SendAsync(token, HttpMethod.Post, "/fhir/Consent", ConsentJson(p)));
        Assert.True(int.Parse(refused.Response.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) >= 1);
        Assert.Equal("OperationOutcome", refused.Json.GetProperty("resourceType").GetString());
        Assert.Equal("throttled", refused.Json.GetProperty("issue")[0].GetProperty("code").GetString());
        var search = await GetAsync(TestToken.Admin, $"/fhir/Consent?patient=Patient/{patient}&_summary=count");
        Assert.Equal(0, search.Json.GetProperty("total").GetInt32());

        // Decisions of unknown studies are 404s and audit nothing, so a refill that slips in changes nothing either.
        var audited = Factory.AuditRecords;
        var (decision, _) = await OverTheLimitAsync(token, _ => DecideAsync(token, new { study = TestData.NewUid(), actor = Vendor }));
        Assert.Equal("application/problem+json", decision.Response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(429, decision.Json.GetProperty("status").GetInt32());
        Assert.True(decision.Response.Headers.Contains("Retry-After"));
        Assert.Equal(audited, Factory.AuditRecords);
    }

    [Fact]
    public async System.Threading.Tasks.Task Each_client_has_its_own_bucket_and_health_is_exempt()
    {
        var noisy = Client("noisy-" + TestData.NewId());
        for (var i = 0; i < 4; i++)
        {
            await GetAsync(noisy, "/fhir/Consent?_count=1");
        }
        Assert.Equal(HttpStatusCode.TooManyRequests, (await GetAsync(noisy, "/fhir/Consent?_count=1")).Status);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(Client("quiet-" + TestData.NewId()), "/fhir/Consent?_count=1")).Status);
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await GetAsync(null, "/healthz/live")).Status);
        }
    }

    [Fact]
    public async System.Threading.Tasks.Task Unauthenticated_requests_are_limited_per_address()
    {
        // Guessing tokens costs the guesser its address's bucket, not the victims' buckets.
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++)
        {
            statuses.Add((await GetAsync("forged." + i + ".token", "/fhir/Consent")).Status);
        }
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        Assert.DoesNotContain(HttpStatusCode.OK, statuses);
    }
}
