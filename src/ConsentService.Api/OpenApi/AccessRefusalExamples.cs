using System.Text.Json.Nodes;
using ConsentService.Api.Fhir;
using ConsentService.Api.Security;
using ConsentService.Application.Security;
using Microsoft.AspNetCore.Mvc;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace ConsentService.Api.OpenApi;

/// <summary>
/// The bodies and headers of the refusals every protected operation can answer, as <see cref="AccessRefusals"/> and
/// <see cref="RateLimits"/> write them (captured from a running instance with a signing key): an OperationOutcome
/// (code login, forbidden or throttled) under /fhir, RFC 9457 problem details elsewhere. 401 carries
/// WWW-Authenticate, 429 Retry-After.
/// </summary>
public static class AccessRefusalExamples
{
    public const string NoToken = "A bearer token is required (Authorization: Bearer <token>).";
    public const string TooMany = "Too many requests; retry after 1 second(s).";

    /// <summary>Verify and export read every patient's records (TrailAccess): a patient scope is refused.</summary>
    public static bool NeedsWholeTrail(string? operationId) => operationId is "verifyAuditTrail" or "exportAuditTrail";

    /// <summary>Why a token without the operation's scope is refused, in the words of the scope check.</summary>
    public static string Forbidden(ScopeRequirement scope) => scope switch
    {
        ResourceScope resource => $"This request needs the scope {resource} (or a broader one).",
        OperationScope operation => $"This request needs the scope {operation}.",
        EntryScopes => "A bundle needs a token that may write FHIR resources.",
        _ => "This endpoint declares no scope, so no token may use it.",
    };

    /// <summary>Adds 401, 403 and 429 with their bodies to a protected operation.</summary>
    public static void AddProtected(OpenApiOperation operation, OperationFilterContext context, ScopeRequirement scope)
    {
        Add(operation, context, 401, "No valid bearer token: none was sent, or it is expired, not yet valid, or not trusted (issuer, "
            + "audience, algorithm, signature). WWW-Authenticate names the realm, and error=\"invalid_token\" when a token was refused. "
            + "The refusal is recorded in the audit trail.", NoToken, "login");
        Add(operation, context, 403, "The token is valid but does not grant this request: the scope is missing, a patient scope reaches "
            + "outside the token's patient, or a token bound to an actor asks for anything but its own decisions. "
            + "The refusal is recorded in the audit trail.", NeedsWholeTrail(operation.OperationId)
                ? "The whole audit trail needs system/AuditEvent.rs; a patient scope covers only that patient's records."
                : Forbidden(scope), "forbidden");
        AddThrottled(operation, context);
    }

    /// <summary>Adds 429: every endpoint but health and metrics is rate-limited, public ones per remote address.</summary>
    public static void AddThrottled(OpenApiOperation operation, OperationFilterContext context) =>
        Add(operation, context, 429, "Too many requests from this client (per token client, else per remote address), or too many "
            + "in progress at once; Retry-After says when to try again.", TooMany, "throttled");

    private static void Add(OpenApiOperation operation, OperationFilterContext context, int status, string description, string message, string fhirCode)
    {
        operation.Responses ??= new OpenApiResponses();
        var code = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (operation.Responses.ContainsKey(code))
        {
            return;
        }
        var path = "/" + (context.ApiDescription.RelativePath ?? "").TrimStart('/');
        var fhir = path.StartsWith("/fhir", StringComparison.Ordinal);
        var media = fhir
            ? new OpenApiMediaType { Schema = ExamplesFilter.FhirSchema("OperationOutcome"), Example = FhirExamples.OutcomeOf(fhirCode, message) }
            : new OpenApiMediaType
            {
                Schema = context.SchemaGenerator.GenerateSchema(typeof(ProblemDetails), context.SchemaRepository),
                Example = JsonNode.Parse(DecisionApiExamples.ProblemJson(status, Title(status), path, message)),
            };
        operation.Responses[code] = new OpenApiResponse
        {
            Description = description,
            Headers = Headers(status),
            Content = new Dictionary<string, IOpenApiMediaType> { [fhir ? FhirFormats.FhirJson : "application/problem+json"] = media },
        };
    }

    private static Dictionary<string, IOpenApiHeader>? Headers(int status) => status switch
    {
        401 => new()
        {
            ["WWW-Authenticate"] = new OpenApiHeader
            {
                Description = "The bearer challenge, e.g. Bearer realm=\"consent-service\", error=\"invalid_token\".",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                Example = JsonValue.Create($"Bearer realm=\"{AccessRefusals.Realm}\""),
            },
        },
        429 => new()
        {
            ["Retry-After"] = new OpenApiHeader
            {
                Description = "Seconds to wait before the next request.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.Integer },
                Example = JsonValue.Create(1),
            },
        },
        _ => null,
    };

    private static string Title(int status) => status switch
    {
        401 => "Unauthorized",
        403 => "Forbidden",
        _ => "Too Many Requests",
    };
}
