using Microsoft.AspNetCore.Mvc;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace ConsentService.Api.OpenApi;

/// <summary>
/// The ProblemDetails schema as the service writes it (RFC 9457, see ApiExceptionHandler): the standard members
/// described, and the <c>errors</c> map from a request field to its messages, which every validation failure
/// carries. Every 4xx/5xx answer of the JSON API references this one schema.
/// </summary>
public sealed class ProblemDetailsSchemaFilter : ISchemaFilter
{
    public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
    {
        if (context.Type != typeof(ProblemDetails) || schema is not OpenApiSchema problem)
        {
            return;
        }
        problem.Description = "RFC 9457 problem details. Messages name request fields, never data values.";
        problem.Properties ??= new Dictionary<string, IOpenApiSchema>();
        Describe(problem, "type", "A URI naming the kind of problem: https://httpstatuses.io/{status}.");
        Describe(problem, "title", "The HTTP reason phrase of the status.");
        Describe(problem, "status", "The HTTP status code.");
        Describe(problem, "detail", "What went wrong, in words meant for the caller's developer.");
        Describe(problem, "instance", "The request path.");
        problem.Properties["errors"] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object | JsonSchemaType.Null,
            Description = "Present on validation failures: each invalid request field (camelCase, e.g. \"study\" or \"filter.modality\") with its messages.",
            AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
        };
    }

    private static void Describe(OpenApiSchema problem, string property, string description)
    {
        if (problem.Properties!.TryGetValue(property, out var member) && member is OpenApiSchema typed)
        {
            typed.Description = description;
        }
    }
}
