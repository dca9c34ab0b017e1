using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace ConsentService.Api.Fhir;

/// <summary>
/// Marks an endpoint whose body is a FHIR resource of <paramref name="ResourceType"/>. The endpoint reads and
/// negotiates the body itself (so a wrong media type is a 415 with an OperationOutcome, not a bare framework 415);
/// this metadata only describes the body in the OpenAPI document.
/// </summary>
public sealed record FhirResourceBody(string ResourceType);

/// <summary>Describes <see cref="FhirResourceBody"/> request bodies in the OpenAPI document.</summary>
public sealed class FhirResourceBodyFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var body = context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<FhirResourceBody>().FirstOrDefault();
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
