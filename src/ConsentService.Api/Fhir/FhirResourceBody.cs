using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace ConsentService.Api.Fhir;

/// <summary>
/// Marks an endpoint whose body is a FHIR resource of <paramref name="ResourceType"/>. The endpoint reads and
/// negotiates the body itself (so a wrong media type is a 415 with an OperationOutcome, not a bare framework 415);
/// this metadata only describes the body in the OpenAPI document.
/// </summary>
public sealed record FhirResourceBody(string ResourceType);

/// <summary>Marks an endpoint that reads a JSON body of <paramref name="Type"/> itself (so that a wrong media
/// type or an unknown field is a problem-details 4xx, not a bare framework answer); describes it in OpenAPI.</summary>
public sealed record JsonRequestBody(Type Type);

/// <summary>Describes <see cref="FhirResourceBody"/> and <see cref="JsonRequestBody"/> request bodies in the OpenAPI document.</summary>
public sealed class RequestBodyFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var metadata = context.ApiDescription.ActionDescriptor.EndpointMetadata;
        if (metadata.OfType<JsonRequestBody>().FirstOrDefault() is { } json)
        {
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Content = new Dictionary<string, IOpenApiMediaType>
                {
                    ["application/json"] = new OpenApiMediaType { Schema = context.SchemaGenerator.GenerateSchema(json.Type, context.SchemaRepository) },
                },
            };
            return;
        }
        var body = metadata.OfType<FhirResourceBody>().FirstOrDefault();
        if (body is null)
        {
            return;
        }
        var schema = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = $"A FHIR R4 {body.ResourceType} resource (https://hl7.org/fhir/R4/{body.ResourceType.ToLowerInvariant()}.html).",
        };
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Description = $"The {body.ResourceType} in FHIR JSON or XML.",
            Content = new Dictionary<string, IOpenApiMediaType>
            {
                [FhirFormats.FhirJson] = new OpenApiMediaType { Schema = schema },
                [FhirFormats.FhirXml] = new OpenApiMediaType { Schema = schema },
                ["application/json"] = new OpenApiMediaType { Schema = schema },
            },
        };
    }
}
