using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace ConsentService.Api;

/// <summary>The OpenAPI document served at /swagger/v1/swagger.json and committed as openapi/consent-service.json.</summary>
public static class OpenApiSetup
{
    public static void Configure(SwaggerGenOptions options)
    {
        options.SwaggerDoc("v1", new OpenApiInfo
        {
            Title = "ConsentService",
            Version = "v1",
            Description = "Patients' consent to AI training on their imaging studies: FHIR R4 Consent and ImagingStudy "
                + "under /fhir (bodies are FHIR resources in JSON or XML), and the JSON decision API under /api/v1.",
        });
        // Non-nullable members are required and not nullable, so generated clients type them as always present.
        options.SupportNonNullableReferenceTypes();
        options.NonNullableReferenceTypesAsRequired();
        options.SchemaFilter<OpenApi.ProblemDetailsSchemaFilter>();
        options.OperationFilter<Fhir.RequestBodyFilter>();
        // Examples first: the scope filter appends its note to the description the examples filter completes.
        options.OperationFilter<OpenApi.ExamplesFilter>();
        Security.ScopeOpenApiFilter.Configure(options);
        options.CustomOperationIds(api => api.ActionDescriptor.EndpointMetadata.OfType<Microsoft.AspNetCore.Routing.IEndpointNameMetadata>()
            .FirstOrDefault()?.EndpointName);
    }
}
