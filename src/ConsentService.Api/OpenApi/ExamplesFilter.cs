using System.Text.Json.Nodes;
using ConsentService.Api.Fhir;
using ConsentService.Application.Decisions;
using ConsentService.Application.Resources;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace ConsentService.Api.OpenApi;

/// <summary>
/// Completes each operation, keyed by its operationId, for people and code generators: a description where the
/// endpoint gives only a summary, an example for every request body and every response with a body, FHIR
/// response bodies (the endpoints write them themselves, so the framework cannot see them) and the 415 that
/// every FHIR write answers for a media type it does not read. Runs after <see cref="RequestBodyFilter"/> and
/// before the scope filter, which adds the 401, 403 and 429 with their own examples (<see cref="AccessRefusalExamples"/>).
/// </summary>
public sealed class ExamplesFilter : IOperationFilter
{
    private static readonly string[] FhirInteractions = ["create", "search", "history", "read", "update", "delete", "vread"];

    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (operation.OperationId is not { } id)
        {
            return;
        }
        switch (id)
        {
            case "decide":
                Json(operation, id, DecisionApiExamples.DecisionRequest, DecisionApiExamples.Permit);
                break;
            case "decideBatch":
                Json(operation, id, DecisionApiExamples.BatchRequest, DecisionApiExamples.BatchResult);
                break;
            case "decideCohort":
                Json(operation, id, DecisionApiExamples.CohortRequest, response: null);
                DescribeCohortStream(operation, context);
                break;
            case "capabilities":
                operation.Description ??= "What this server supports: Consent and ImagingStudy with read, vread, update, delete, history, "
                    + "create (conditional with If-None-Exist) and search, AuditEvent with read, search and create (reported disclosures), "
                    + "their search parameters, and FHIR version 4.0.1. Answers without a token.";
                FhirResponses(operation, id, _ => FhirExamples.Capabilities(), "CapabilityStatement");
                break;
            case "verifyAuditTrail":
                Json(operation, id, request: null, AuditApiExamples.Verification);
                break;
            case "exportAuditTrail":
                Json(operation, id, request: null, response: null);
                DescribeExportStream(operation, context);
                break;
            case "accountDisclosures":
                Json(operation, id, request: null, AuditApiExamples.Disclosures);
                break;
            case "smartConfiguration":
                DescribeSmartConfiguration(operation, context);
                break;
            case "createAuditEvent":
                FhirRequest(operation, (JsonObject)JsonNode.Parse(FhirExamples.DisclosureReport)!);
                FhirResponses(operation, id, _ => FhirExamples.DisclosureAuditEvent(), "AuditEvent");
                break;
            case "searchAuditEvent":
                operation.Description ??= "A searchset Bundle of AuditEvents (decisions, consent and study changes, reported disclosures, "
                    + "refused accesses) matching the FHIR search parameters date, type, subtype, action, outcome, agent, entity, "
                    + "patient, source, _id, _lastUpdated and the custom decision (permit | deny); paged with _count and next links "
                    + "over one consistent snapshot. A patient scope sees only its patient's events.";
                FhirResponses(operation, id, _ => FhirExamples.AuditEventSearchset(), "Bundle");
                break;
            case "readAuditEvent":
                operation.Description ??= "One AuditEvent as recorded in the hash-chained trail. A decision's AuditEvent (BALP "
                    + "AuthZ-Consent) has the decisionId as its id and names the patient, the study, the recipient, the purpose, the "
                    + "Consent version, the verdict and the obligations. An unknown id is a 404.";
                FhirResponses(operation, id, _ => (JsonObject)JsonNode.Parse(FhirExamples.DecisionAuditEvent)!, "AuditEvent");
                break;
            case "vreadAuditEvent":
                operation.Description ??= "Version 1 of an AuditEvent, the only version it has (the trail is immutable); any other version is a 404.";
                FhirResponses(operation, id, _ => (JsonObject)JsonNode.Parse(FhirExamples.DecisionAuditEvent)!, "AuditEvent");
                break;
            case "updateAuditEvent":
            case "deleteAuditEvent":
                operation.Description ??= "Always 405 with an OperationOutcome: the audit trail is append-only and hash-chained. "
                    + "A correction is reported as a new AuditEvent.";
                FhirResponses(operation, id, _ => null, "AuditEvent");
                break;
            case "transaction":
                FhirRequest(operation, FhirExamples.Transaction());
                FhirResponses(operation, id, _ => FhirExamples.TransactionResponse(), "Bundle");
                break;
            default:
                if (ParseFhirOperation(id) is var (interaction, type, instance))
                {
                    DescribeFhir(operation, interaction, type, instance);
                }
                break;
        }
    }

    private static void Json(OpenApiOperation operation, string operationId, string? request, string? response)
    {
        if (request is not null && operation.RequestBody?.Content?.TryGetValue("application/json", out var body) == true && body is OpenApiMediaType media)
        {
            media.Example = JsonNode.Parse(request);
        }
        foreach (var (code, reply) in operation.Responses ?? [])
        {
            if (reply is not OpenApiResponse { Content: { } content } || !int.TryParse(code, out var status))
            {
                continue;
            }
            foreach (var (mediaType, value) in content)
            {
                if (value is not OpenApiMediaType typed)
                {
                    continue;
                }
                if (status >= 400 && mediaType == "application/problem+json")
                {
                    typed.Example = JsonNode.Parse(operationId.StartsWith("decide", StringComparison.Ordinal)
                        ? DecisionApiExamples.Problem(operationId, status)
                        : AuditApiExamples.Problem(operationId, status));
                }
                else if (status == 200 && response is not null && mediaType == "application/json")
                {
                    typed.Example = JsonNode.Parse(response);
                }
            }
        }
    }

    private static void DescribeCohortStream(OpenApiOperation operation, OperationFilterContext context) =>
        DescribeNdJson(operation, DecisionApiExamples.CohortStream(),
            "a DecisionResult for each permitted study, then one CohortSummaryLine",
            "a DecisionResult, or the closing CohortSummaryLine",
            context.SchemaGenerator.GenerateSchema(typeof(DecisionResult), context.SchemaRepository),
            context.SchemaGenerator.GenerateSchema(typeof(CohortSummaryLine), context.SchemaRepository));

    private static void DescribeExportStream(OpenApiOperation operation, OperationFilterContext context) =>
        DescribeNdJson(operation, AuditApiExamples.ExportStream(),
            "a FHIR AuditEvent (as stored, in commit order), then one AuditExportEnd line with the cursor to resume from",
            "a FHIR AuditEvent, or the closing AuditExportEnd",
            FhirSchema("AuditEvent"),
            context.SchemaGenerator.GenerateSchema(typeof(Endpoints.AuditExportEnd), context.SchemaRepository));

    /// <summary>NDJSON has no JSON Schema of its own: each line is described (one of <paramref name="lines"/>), and
    /// the example is the stream's text as sent.</summary>
    private static void DescribeNdJson(OpenApiOperation operation, string example, string stream, string line, params IOpenApiSchema[] lines)
    {
        if (operation.Responses?.TryGetValue("200", out var ok) != true || ok is not OpenApiResponse response)
        {
            return;
        }
        response.Description = $"An application/x-ndjson stream. Each line is one JSON object: {stream}. The schema below describes one line.";
        response.Content = new Dictionary<string, IOpenApiMediaType>
        {
            [Endpoints.AuditEndpoints.NdJson] = new OpenApiMediaType
            {
                Schema = new OpenApiSchema { Description = $"One line of the stream: {line}.", OneOf = [.. lines] },
                Example = JsonValue.Create(example),
            },
        };
    }

    /// <summary>The endpoint writes a JsonObject, so the framework sees no response type: the members are described here.</summary>
    private static void DescribeSmartConfiguration(OpenApiOperation operation, OperationFilterContext context)
    {
        operation.Description ??= "The SMART App Launch configuration (https://hl7.org/fhir/smart-app-launch/conformance.html): issuer, "
            + "token endpoint and keys as the authorization server's discovery document (or Auth:TokenEndpoint) says, left out when "
            + "unknown rather than guessed; the scopes this service understands and its SMART capabilities.";
        if (operation.Responses?.TryGetValue("200", out var ok) != true || ok is not OpenApiResponse response)
        {
            return;
        }
        var array = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } };
        var text = new OpenApiSchema { Type = JsonSchemaType.String };
        response.Content = new Dictionary<string, IOpenApiMediaType>
        {
            ["application/json"] = new OpenApiMediaType
            {
                Schema = context.SchemaRepository.Schemas.ContainsKey("SmartConfiguration")
                    ? new OpenApiSchemaReference("SmartConfiguration", context.Document)
                    : context.SchemaRepository.AddDefinition("SmartConfiguration", new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Description = "SMART configuration; each member is present only when known.",
                    Properties = new Dictionary<string, IOpenApiSchema>
                    {
                        ["issuer"] = text, ["jwks_uri"] = text, ["authorization_endpoint"] = text, ["token_endpoint"] = text,
                        ["token_endpoint_auth_methods_supported"] = array, ["grant_types_supported"] = array,
                        ["scopes_supported"] = array, ["response_types_supported"] = array,
                        ["code_challenge_methods_supported"] = array, ["capabilities"] = array, ["description"] = text,
                    },
                }),
                Example = JsonNode.Parse(SmartConfiguration),
            },
        };
    }

    /// <summary>Captured with Auth:SigningKey, Auth:Issuer and Auth:TokenEndpoint set.</summary>
    private const string SmartConfiguration = """
        {
          "issuer": "https://login.hospital.example/realms/hospital",
          "token_endpoint": "https://login.hospital.example/realms/hospital/protocol/openid-connect/token",
          "token_endpoint_auth_methods_supported": [ "private_key_jwt", "client_secret_basic" ],
          "grant_types_supported": [ "client_credentials" ],
          "scopes_supported": [
            "system/Consent.cruds", "system/Consent.rs", "system/ImagingStudy.cruds", "system/ImagingStudy.rs",
            "system/AuditEvent.rs", "system/AuditEvent.c", "user/Consent.cruds", "user/Consent.rs", "user/ImagingStudy.rs",
            "user/AuditEvent.rs", "patient/Consent.rs", "patient/AuditEvent.rs", "ai-training.decide"
          ],
          "response_types_supported": [ "code" ],
          "code_challenge_methods_supported": [ "S256" ],
          "capabilities": [
            "client-confidential-asymmetric", "client-confidential-symmetric", "permission-v1", "permission-v2",
            "permission-patient", "permission-user", "launch-standalone", "context-standalone-patient"
          ]
        }
        """;

    private static (string Interaction, string Type, bool Instance)? ParseFhirOperation(string operationId)
    {
        foreach (var interaction in FhirInteractions)
        {
            if (!operationId.StartsWith(interaction, StringComparison.Ordinal))
            {
                continue;
            }
            var rest = operationId[interaction.Length..];
            var instance = rest.EndsWith("Instance", StringComparison.Ordinal);
            var type = instance ? rest[..^"Instance".Length] : rest;
            if (SupportedResources.IsWritable(type))
            {
                return (interaction, type, instance);
            }
        }
        return null;
    }

    private static void DescribeFhir(OpenApiOperation operation, string interaction, string type, bool instance)
    {
        var noun = type == SupportedResources.Consent ? "a patient's Consent" : "an ImagingStudy (keyed by its DICOM Study Instance UID)";
        switch (interaction)
        {
            case "create":
                operation.Description ??= $"Stores {noun} as version 1 and answers 201 with it, its Location and ETag. With If-None-Exist "
                    + "(a search, e.g. identifier=system|value) an existing match is answered with 200 instead and nothing is written. "
                    + "The body is parsed strictly: unknown elements or invalid codes are a 422 OperationOutcome naming the element.";
                FhirRequest(operation, FhirExamples.Resource(type));
                FhirResponses(operation, operation.OperationId!, _ => FhirExamples.Stored(type), type);
                break;
            case "update":
                operation.Description ??= $"Stores a new version of {noun} (or creates it with this id: 201). If-Match: W/\"n\" makes the "
                    + "write conditional on version n being current (412 otherwise). The body's id must equal the URL's.";
                FhirRequest(operation, FhirExamples.Resource(type, FhirExamples.IdOf(type)));
                FhirResponses(operation, operation.OperationId!, status => FhirExamples.Stored(type, status == 200 ? "2" : "1"), type);
                break;
            case "read":
                operation.Description ??= $"The current version of {noun}, with its ETag. A deleted resource answers 410, an unknown id 404.";
                FhirResponses(operation, operation.OperationId!, _ => FhirExamples.Stored(type), type);
                break;
            case "vread":
                operation.Description ??= "One stored version as it was written; versions are immutable.";
                FhirResponses(operation, operation.OperationId!, _ => FhirExamples.Stored(type), type);
                break;
            case "delete":
                operation.Description ??= "Records a delete version (history keeps every earlier version; decisions \"as of\" an earlier "
                    + "instant still see them). Later reads answer 410. If-Match makes it conditional.";
                FhirResponses(operation, operation.OperationId!, _ => null, type);
                break;
            case "search":
                operation.Description ??= $"A searchset Bundle of {type} resources matching the FHIR search parameters in the query "
                    + "(see the CapabilityStatement for the list); paged with _count and next links that read one consistent snapshot. "
                    + "An unknown parameter is ignored, or a 400 with Prefer: handling=strict.";
                FhirResponses(operation, operation.OperationId!, _ => FhirExamples.Searchset(type), "Bundle");
                break;
            case "history":
                operation.Description ??= (instance ? $"Every version of one {type}" : $"Every version of every {type}")
                    + ", newest first, deletes included; paged with _count and _cursor, filtered with _since.";
                FhirResponses(operation, operation.OperationId!, _ => FhirExamples.History(type, instance), "Bundle");
                break;
        }
    }

    private static void FhirRequest(OpenApiOperation operation, JsonObject resource)
    {
        if (operation.RequestBody?.Content is not { } content)
        {
            return;
        }
        foreach (var (mediaType, value) in content)
        {
            if (value is OpenApiMediaType media)
            {
                media.Example = mediaType == FhirFormats.FhirXml ? JsonValue.Create(ToXml(resource)) : resource.DeepClone();
            }
        }
        operation.Responses ??= [];
        if (!operation.Responses.ContainsKey("415"))
        {
            operation.Responses["415"] = new OpenApiResponse { Description = "Unsupported Media Type" };
        }
    }

    /// <summary>Gives every FHIR response a body description and example: the resource for 2xx (XML too), an
    /// OperationOutcome for 4xx. <paramref name="success"/> returns null for a bodiless success (204).</summary>
    private static void FhirResponses(OpenApiOperation operation, string operationId, Func<int, JsonObject?> success, string resourceType)
    {
        foreach (var (code, reply) in operation.Responses ?? [])
        {
            if (reply is not OpenApiResponse response || !int.TryParse(code, out var status))
            {
                continue;
            }
            if (status >= 400)
            {
                response.Content = new Dictionary<string, IOpenApiMediaType>
                {
                    [FhirFormats.FhirJson] = new OpenApiMediaType { Schema = FhirSchema("OperationOutcome"), Example = FhirExamples.Outcome(operationId, status) },
                };
                continue;
            }
            if (status == 204 || success(status) is not { } resource)
            {
                continue;
            }
            response.Content = new Dictionary<string, IOpenApiMediaType>
            {
                [FhirFormats.FhirJson] = new OpenApiMediaType { Schema = FhirSchema(resourceType), Example = resource },
                [FhirFormats.FhirXml] = new OpenApiMediaType { Schema = FhirSchema(resourceType), Example = JsonValue.Create(ToXml(resource)) },
            };
        }
    }

    internal static OpenApiSchema FhirSchema(string resourceType) => new()
    {
        Type = JsonSchemaType.Object,
        Description = $"A FHIR R4 {resourceType} resource (https://hl7.org/fhir/R4/{resourceType.ToLowerInvariant()}.html).",
    };

    /// <summary>The example through the server's strict parser and its XML serializer: an example that is not valid
    /// FHIR R4 throws here, so the document cannot be built around one.</summary>
    private static string ToXml(JsonObject resource) =>
        FhirSerialization.Serialize(FhirSerialization.ParseRequestBody(resource.ToJsonString(), FhirFormat.Json), FhirFormat.Xml);
}
