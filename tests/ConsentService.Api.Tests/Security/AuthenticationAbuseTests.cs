using System.Net;

namespace ConsentService.Api.Tests.Security;

/// <summary>Tokens that must not pass: each is refused with 401 (OperationOutcome or problem details, a Bearer
/// challenge) on a write and on a decision, nothing is stored, nothing is audited, and the refusal reaches the
/// <c>IAccessRefusalSink</c> hook.</summary>
public sealed class AuthenticationAbuseTests(SecureServiceFactory factory) : SecurityTestBase(factory), IClassFixture<SecureServiceFactory>
{
    private const string WriteScopes = "system/Consent.cruds system/ImagingStudy.cruds ai-training.decide";

    public static TheoryData<string, string?> BadTokens()
    {
        var good = TestToken.System(WriteScopes);
        return new TheoryData<string, string?>
        {
            { "missing", null },
            { "expired", (good with { NotBefore = DateTimeOffset.UtcNow.AddHours(-2), Expires = DateTimeOffset.UtcNow.AddHours(-1) }).Build() },
            { "not yet valid", (good with { NotBefore = DateTimeOffset.UtcNow.AddHours(1), Expires = DateTimeOffset.UtcNow.AddHours(2) }).Build() },
            { "wrong issuer", (good with { Issuer = "https://evil.example/realms/hospital" }).Build() },
            { "wrong audience", (good with { Audience = "another-service" }).Build() },
            { "tampered (scope raised after signing)", TestToken.TamperPayload(TestToken.System("system/Consent.rs").Build(), p => p["scope"] = WriteScopes) },
            { "alg none, unsigned", (good with { Algorithm = "none" }).Build() },
            { "signed with another key", (good with { Key = "another-signing-key-of-at-least-32-bytes-XYZ" }).Build() },
            { "HS384 instead of HS256", (good with { Algorithm = "HS384" }).Build() },
            { "without exp", (good with { WithExpiry = false }).Build() },
            { "not a JWT", "definitely-not-a-token" },
        };
    }

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async System.Threading.Tasks.Task Bad_token_cannot_write_a_consent(string name, string? token)
    {
        var before = await StoredAsync();
        var refusalsBefore = Factory.Refusals.Count;
        var answer = await SendAsync(token, HttpMethod.Post, "/fhir/Consent", ConsentJson(TestData.NewId()));
        AssertRefused(answer, HttpStatusCode.Unauthorized, "/fhir/Consent");
        Assert.Equal(before, await StoredAsync());
        Assert.True(Factory.Refusals.Count > refusalsBefore, name);
        if (token is not null)
        {
            Assert.Contains("invalid_token", answer.Response.Headers.WwwAuthenticate.ToString());
        }
    }

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async System.Threading.Tasks.Task Bad_token_gets_no_decision_and_nothing_is_audited(string name, string? token)
    {
        var (_, uid, _, _) = await SeedPatientAsync();
        var audited = Factory.AuditRecords;
        var answer = await DecideAsync(token, new { study = uid, actor = Vendor });
        AssertRefused(answer, HttpStatusCode.Unauthorized, "/api/v1/decisions");
        Assert.DoesNotContain("permit", answer.Body);
        Assert.Equal(audited, Factory.AuditRecords);
        Assert.False(string.IsNullOrEmpty(name));
    }

    [Fact]
    public async System.Threading.Tasks.Task Bad_token_cannot_read_and_learns_nothing()
    {
        var (patient, _, _, consentId) = await SeedPatientAsync();
        var expired = TestToken.System("system/Consent.rs") with { NotBefore = DateTimeOffset.UtcNow.AddHours(-2), Expires = DateTimeOffset.UtcNow.AddMinutes(-5) };
        var answer = await GetAsync(expired, $"/fhir/Consent/{consentId}");
        AssertRefused(answer, HttpStatusCode.Unauthorized, "/fhir");
        Assert.DoesNotContain(patient, answer.Body);
        var search = await GetAsync(null, $"/fhir/Consent?patient=Patient/{patient}");
        AssertRefused(search, HttpStatusCode.Unauthorized, "/fhir");
        Assert.DoesNotContain(patient, search.Body);
    }

    [Fact]
    public async System.Threading.Tasks.Task A_valid_token_within_the_clock_skew_is_accepted()
    {
        // exp 10 s ago, within the 30 s skew: accepted, so clocks that differ slightly do not break integrations.
        var token = TestToken.System("system/Consent.rs") with { NotBefore = DateTimeOffset.UtcNow.AddMinutes(-5), Expires = DateTimeOffset.UtcNow.AddSeconds(-10) };
        var answer = await GetAsync(token, "/fhir/Consent?_count=1");
        Assert.Equal(HttpStatusCode.OK, answer.Status);
    }

    [Fact]
    public async System.Threading.Tasks.Task Refusals_reach_the_sink_with_the_route_pattern_not_the_url()
    {
        var patient = TestData.NewId();
        await GetAsync(null, $"/fhir/Consent?patient=Patient/{patient}");
        var client = "sink-test-" + TestData.NewId();
        await GetAsync(TestToken.System("system/ImagingStudy.rs") with { ClientId = client }, $"/fhir/Consent/{patient}");
        var refusals = Factory.Refusals.ToArray();
        Assert.Contains(refusals, r => r.Status == 401 && r.Endpoint == "GET /fhir/Consent" && !r.Caller.IsAuthenticated);
        var forbidden = Assert.Single(refusals, r => r.Caller.ClientId == client);
        Assert.Equal(403, forbidden.Status);
        Assert.Equal("GET /fhir/Consent/{id}", forbidden.Endpoint);
        Assert.Contains("system/Consent.r", forbidden.Reason);
        Assert.DoesNotContain(refusals, r => r.Endpoint.Contains(patient, StringComparison.Ordinal) || r.Reason.Contains(patient, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("/fhir/metadata")]
    [InlineData("/healthz/live")]
    [InlineData("/healthz/ready")]
    [InlineData("/swagger/v1/swagger.json")]
    [InlineData("/.well-known/smart-configuration")]
    public async System.Threading.Tasks.Task Public_endpoints_need_no_token(string url)
    {
        var answer = await GetAsync(null, url);
        Assert.Equal(HttpStatusCode.OK, answer.Status);
    }

    [Theory]
    [InlineData("/fhir/Consent")]
    [InlineData("/fhir/ImagingStudy/_history")]
    [InlineData("/fhir/Consent/abc/_history/1")]
    [InlineData("/swagger/index.html")]
    public async System.Threading.Tasks.Task Everything_else_needs_a_token(string url)
    {
        var answer = await GetAsync(null, url);
        Assert.True(answer.Status is HttpStatusCode.Unauthorized or HttpStatusCode.NotFound, $"{url}: {answer.Status}");
        if (url.StartsWith("/fhir", StringComparison.Ordinal))
        {
            AssertRefused(answer, HttpStatusCode.Unauthorized, url);
        }
    }
}
