using System.Text.Json;
using System.Text.Json.Serialization;
using ConsentService.Application.Decisions;

// The floor: POST /api/v1/decisions parses the same request JSON with the same source-generated contracts and
// answers a decision of the same size as the service's, without store, engine, audit or authentication. What
// the service achieves against this, on the same machine in the same run, is the ratio issue 8 asks about.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
var app = builder.Build();

// FLOOR_RESPONSE_FILE: a real decision response captured from the service (bench/run.sh does this), so the
// answer has exactly the service's size and shape; without it, a typical permit of about the same size.
var template = Environment.GetEnvironmentVariable("FLOOR_RESPONSE_FILE") is { Length: > 0 } file
    ? JsonSerializer.Deserialize(File.ReadAllText(file), FloorJsonContext.Default.DecisionResult)
        ?? throw new InvalidOperationException($"{file} holds no decision.")
    : FloorResponse.Typical;

app.MapPost("/api/v1/decisions", async (HttpRequest request, CancellationToken ct) =>
{
    var query = await JsonSerializer.DeserializeAsync(request.Body, FloorJsonContext.Default.DecisionQuery, ct);
    if (query?.Study is null) return Results.BadRequest();
    var answer = template with { DecisionId = Guid.NewGuid().ToString(), Study = query.Study, At = DateTimeOffset.UtcNow };
    return TypedResults.Json(answer, FloorJsonContext.Default.DecisionResult);
});
app.MapGet("/healthz/ready", () => TypedResults.Text("ready"));
app.Run();

/// <summary>The same options as the service's decision context: web defaults, unknown fields refused.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow, MaxDepth = 16)]
[JsonSerializable(typeof(DecisionQuery))]
[JsonSerializable(typeof(DecisionResult))]
internal sealed partial class FloorJsonContext : JsonSerializerContext;

internal static class FloorResponse
{
    private const string Consent = "Consent/3f0c2a57-9d1e-4c8b-a6f2-71e5d9b04c13/_history/1";

    /// <summary>A permit on a chest CT resting on an opt-in consent, as the service answers it.</summary>
    public static DecisionResult Typical { get; } = new(
        DecisionId: Guid.Empty.ToString(),
        Decision: DecisionValues.Permit,
        Basis: DecisionValues.BasisConsent,
        Study: "1.2.826.0.1.3680043.8.498.12345678901234567890123456789012345678",
        ImagingStudy: "ImagingStudy/7b1d4e0a-5c2f-4a9e-8d63-0e9f1a2b3c4d",
        Actor: "Organization/acme-ai",
        Purpose: new PurposeCoding("http://terminology.hl7.org/CodeSystem/v3-ActReason", "MLTRAINING"),
        Action: "use",
        At: DateTimeOffset.UnixEpoch,
        Consent: Consent,
        ProvisionPath: "provision",
        Reasons: [$"{Consent} speaks to this request; its base answer is permit (policyRule OPTIN)."],
        Obligations: [new ObligationCoding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "DEID", "de-identification")],
        Policy: new PolicyRef("opt-in", "1"));
}
