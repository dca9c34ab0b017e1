using ConsentService.Client;

namespace ConsentService.Client.Tests;

/// <summary>The NSwag-generated C# client (from the committed openapi/consent-service.json) against the real service:
/// typed requests go out, typed results and typed problem details come back.</summary>
public sealed class DecisionClientTests(GeneratedClientFixture service) : IClassFixture<GeneratedClientFixture>
{
    [Fact]
    public async System.Threading.Tasks.Task A_single_decision_round_trips_through_the_generated_types()
    {
        var (uid, studyId, consentId) = await service.SeedAsync(optIn: true);

        var result = await service.Client().DecideAsync(new DecisionQuery
        {
            Study = uid,
            Actor = GeneratedClientFixture.Vendor,
            Purpose = GeneratedClientFixture.MlTraining,
            Action = "use",
        });

        Assert.Equal("permit", result.Decision);
        Assert.Equal("consent", result.Basis);
        Assert.Equal(uid, result.Study);
        Assert.Equal($"ImagingStudy/{studyId}", result.ImagingStudy);
        Assert.Equal(GeneratedClientFixture.Vendor, result.Actor);
        Assert.Equal("MLTRAINING", result.Purpose.Code);
        Assert.Equal("use", result.Action);
        Assert.Equal($"Consent/{consentId}/_history/1", result.Consent);
        Assert.Equal("provision", result.ProvisionPath);
        Assert.NotEmpty(result.Reasons);
        Assert.Equal(["DEID", "113102"], result.Obligations.Select(o => o.Code)); // a CT of the head is defaced too
        Assert.False(string.IsNullOrEmpty(result.Policy.Id));
        Assert.True(Guid.TryParse(result.DecisionId, out _));
        Assert.InRange(result.At, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));
    }

    [Fact]
    public async System.Threading.Tasks.Task A_deny_carries_null_consent_fields_the_generated_types_accept()
    {
        var (uid, _, _) = await service.SeedAsync(optIn: null);

        var result = await service.Client().DecideAsync(new DecisionQuery { Study = $"urn:oid:{uid}", Actor = GeneratedClientFixture.Vendor });

        Assert.Equal("deny", result.Decision);
        Assert.Equal("policy", result.Basis);
        Assert.Null(result.Consent);
        Assert.Null(result.ProvisionPath);
        Assert.Empty(result.Obligations);
    }

    [Fact]
    public async System.Threading.Tasks.Task Invalid_requests_surface_as_typed_problem_details_with_the_errors_map()
    {
        var client = service.Client();

        var invalid = await Assert.ThrowsAsync<ApiException<ProblemDetails>>(() =>
            client.DecideAsync(new DecisionQuery { Study = "", Actor = "acme" }));
        Assert.Equal(400, invalid.StatusCode);
        Assert.Equal(400, invalid.Result.Status);
        Assert.Equal("/api/v1/decisions", invalid.Result.Instance);
        Assert.Contains("study", invalid.Result.Errors!.Keys);
        Assert.Contains("actor", invalid.Result.Errors!.Keys);

        var unknown = await Assert.ThrowsAsync<ApiException<ProblemDetails>>(() =>
            client.DecideAsync(new DecisionQuery { Study = TestDataUid(), Actor = GeneratedClientFixture.Vendor }));
        Assert.Equal(404, unknown.StatusCode);
        Assert.Equal("Not Found", unknown.Result.Title);
    }

    [Fact]
    public async System.Threading.Tasks.Task A_batch_answers_in_request_order_with_its_summary()
    {
        var permitted = await service.SeedAsync(optIn: true);
        var optedOut = await service.SeedAsync(optIn: false);
        var unknown = TestDataUid();

        var batch = await service.Client().DecideBatchAsync(new BatchDecisionQuery
        {
            Studies = [permitted.Uid, optedOut.Uid, unknown],
            Actor = GeneratedClientFixture.Vendor,
            Purpose = GeneratedClientFixture.MlTraining,
        });

        Assert.Equal([permitted.Uid, optedOut.Uid, unknown], batch.Results.Select(r => r.Study));
        Assert.Equal(["permit", "deny", "deny"], batch.Results.Select(r => r.Decision));
        Assert.Equal(["consent", "consent", "unknown-study"], batch.Results.Select(r => r.Basis));
        Assert.Null(batch.Results.Last().ImagingStudy);
        Assert.Equal(1, batch.Summary.Permit);
        Assert.Equal(1, batch.Summary.Deny);
        Assert.Equal(1, batch.Summary.UnknownStudy);
        Assert.Equal(3, batch.Results.Select(r => r.DecisionId).Distinct().Count());
    }

    [Fact]
    public async System.Threading.Tasks.Task An_empty_batch_is_a_typed_400()
    {
        var problem = await Assert.ThrowsAsync<ApiException<ProblemDetails>>(() =>
            service.Client().DecideBatchAsync(new BatchDecisionQuery { Studies = [], Actor = GeneratedClientFixture.Vendor }));
        Assert.Equal(400, problem.StatusCode);
        Assert.Contains("studies", problem.Result.Errors!.Keys);
    }

    private static string TestDataUid() => ConsentService.Api.Tests.TestData.NewUid();
}
