using System.Text.Json;
using System.Text.Json.Nodes;
using ConsentService.Client;

namespace ConsentService.Client.Tests;

/// <summary>What a vendor reads before generating a client: the committed document (the one the clients here are
/// generated from) names, describes and exemplifies every operation, and its examples are the contract's types.</summary>
public sealed class OpenApiDocumentQualityTests
{
    private static readonly JsonNode Document = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "openapi", "consent-service.json")))!;

    private static IEnumerable<(string Path, string Method, JsonObject Operation)> Operations() =>
        Document["paths"]!.AsObject().SelectMany(path => path.Value!.AsObject()
            .Select(method => (path.Key, method.Key, method.Value!.AsObject())));

    [Fact]
    public void Every_operation_has_an_id_a_summary_and_a_description()
    {
        var operations = Operations().ToList();
        Assert.NotEmpty(operations);
        foreach (var (path, method, operation) in operations)
        {
            foreach (var member in new[] { "operationId", "summary", "description" })
            {
                Assert.False(string.IsNullOrWhiteSpace((string?)operation[member]), $"{method} {path} has no {member}.");
            }
        }
        var ids = operations.Select(o => (string)o.Operation["operationId"]!).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Fact]
    public void Every_request_body_and_every_response_body_has_an_example()
    {
        foreach (var (path, method, operation) in Operations())
        {
            foreach (var (mediaType, content) in operation["requestBody"]?["content"]?.AsObject() ?? [])
            {
                Assert.True(content!.AsObject().ContainsKey("example"), $"{method} {path}: request body {mediaType} has no example.");
            }
            foreach (var (status, response) in operation["responses"]!.AsObject())
            {
                var content = response!["content"]?.AsObject();
                if (status == "204")
                {
                    Assert.Null(content);
                    continue;
                }
                Assert.True(content is { Count: > 0 }, $"{method} {path}: response {status} has no body description.");
                foreach (var (mediaType, media) in content!)
                {
                    Assert.True(media!.AsObject().ContainsKey("example"), $"{method} {path}: response {status} {mediaType} has no example.");
                }
            }
        }
    }

    [Fact]
    public void Every_json_api_error_references_the_problem_details_schema_with_its_errors_map()
    {
        var problem = Document["components"]!["schemas"]!["ProblemDetails"]!;
        Assert.Equal("array", (string?)problem["properties"]!["errors"]!["additionalProperties"]!["type"]);
        var errors = 0;
        foreach (var (path, method, operation) in Operations().Where(o => o.Path.StartsWith("/api/", StringComparison.Ordinal)))
        {
            foreach (var (status, response) in operation["responses"]!.AsObject().Where(r => int.Parse(r.Key) >= 400))
            {
                var media = response!["content"]?["application/problem+json"];
                Assert.True(media is not null, $"{method} {path} {status} is not application/problem+json.");
                Assert.Equal("#/components/schemas/ProblemDetails", (string?)media!["schema"]!["$ref"]);
                Assert.Equal(int.Parse(status), (int)media["example"]!["status"]!);
                errors++;
            }
        }
        Assert.True(errors >= 10);
    }

    [Fact]
    public void The_decision_api_examples_deserialize_into_the_generated_types()
    {
        var decide = Example("/api/v1/decisions", "200", "application/json");
        var result = decide.Deserialize<DecisionResult>()!;
        Assert.Equal("permit", result.Decision);
        Assert.Equal(["DEID", "113102"], result.Obligations.Select(o => o.Code));
        Assert.NotNull(Example("/api/v1/decisions", "request", "application/json").Deserialize<DecisionQuery>()!.Study);

        var batch = Example("/api/v1/decisions/batch", "200", "application/json").Deserialize<BatchDecisionResult>()!;
        Assert.Equal(batch.Results.Count, batch.Summary.Permit + batch.Summary.Deny + batch.Summary.UnknownStudy);
        Assert.Equal(2, Example("/api/v1/decisions/batch", "request", "application/json").Deserialize<BatchDecisionQuery>()!.Studies!.Count);

        Assert.NotNull(Example("/api/v1/decisions/cohort", "request", "application/json").Deserialize<CohortQuery>()!.Filter);
        var lines = ((string)Example("/api/v1/decisions/cohort", "200", "application/x-ndjson")!).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("permit", JsonSerializer.Deserialize<DecisionResult>(lines[0])!.Decision);
        Assert.Equal(1, JsonSerializer.Deserialize<CohortSummaryLine>(lines[^1])!.Summary.Permitted);

        var problem = Example("/api/v1/decisions", "400", "application/problem+json").Deserialize<ProblemDetails>()!;
        Assert.Contains("study", problem.Errors!.Keys);
    }

    [Fact]
    public void The_fhir_examples_are_the_resources_each_operation_exchanges()
    {
        Assert.Equal("Consent", (string?)Example("/fhir/Consent", "request", "application/fhir+json")["resourceType"]);
        Assert.Equal("ImagingStudy", (string?)Example("/fhir/ImagingStudy/{id}", "200", "application/fhir+json")["resourceType"]);
        Assert.Equal("searchset", (string?)Example("/fhir/ImagingStudy", "200", "application/fhir+json", "get")["type"]);
        Assert.Equal("transaction", (string?)Example("/fhir", "request", "application/fhir+json")["type"]);
        Assert.Equal("transaction-response", (string?)Example("/fhir", "200", "application/fhir+json")["type"]);
        Assert.Equal("OperationOutcome", (string?)Example("/fhir/Consent/{id}", "404", "application/fhir+json")["resourceType"]);
        Assert.StartsWith("<Consent xmlns=\"http://hl7.org/fhir\">", (string?)Example("/fhir/Consent", "request", "application/fhir+xml"));
    }

    private static JsonNode Example(string path, string status, string mediaType, string? method = null)
    {
        var operations = Document["paths"]![path]!.AsObject();
        var operation = method is null ? operations.First().Value! : operations[method]!;
        var media = status == "request" ? operation["requestBody"]!["content"]![mediaType] : operation["responses"]![status]!["content"]![mediaType];
        return media!["example"]!;
    }
}
