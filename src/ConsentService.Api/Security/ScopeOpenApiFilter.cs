using ConsentService.Application.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace ConsentService.Api.Security;

/// <summary>Describes the bearer scheme in the OpenAPI document and, on each operation, the scope it needs
/// (bearer requirements carry no scope list in OpenAPI 3.0, so the scope is stated in the description).</summary>
public sealed class ScopeOpenApiFilter : IOperationFilter
{
    public const string SchemeName = "bearer";

    public static void Configure(SwaggerGenOptions options)
    {
        options.AddSecurityDefinition(SchemeName, new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description = "An OAuth 2.0 access token (JWT) with SMART scopes, e.g. system/Consent.cruds, patient/Consent.rs, "
                + "ai-training.decide. See /.well-known/smart-configuration.",
        });
        options.OperationFilter<ScopeOpenApiFilter>();
    }

    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var metadata = context.ApiDescription.ActionDescriptor.EndpointMetadata;
        if (metadata.OfType<IAllowAnonymous>().Any())
        {
            operation.Description = Append(operation.Description, "Public: no token is needed.");
            return;
        }
        var scope = metadata.OfType<ScopeRequirement>().FirstOrDefault();
        if (scope is null)
        {
            return;
        }
        operation.Description = Append(operation.Description, Describe(scope));
        operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SchemeName, context.Document)] = [] }];
        operation.Responses ??= new OpenApiResponses();
        operation.Responses.TryAdd("401", new OpenApiResponse { Description = "No valid bearer token." });
        operation.Responses.TryAdd("403", new OpenApiResponse { Description = "The token does not grant this request." });
        operation.Responses.TryAdd("429", new OpenApiResponse { Description = "Too many requests (see Retry-After)." });
    }

    public static string Describe(ScopeRequirement scope) => scope switch
    {
        ResourceScope resource when (resource.Interactions & ~(ScopeInteractions.Read | ScopeInteractions.Search)) == 0 =>
            $"Scope: `{resource}` (or `user/` alike, v1 `.read`); `patient/{resource.ResourceType}.{GrantedScope.Letters(resource.Interactions)}` "
            + "limits it to the token's patient. Not for tokens bound to an actor.",
        ResourceScope resource => $"Scope: `{resource}` (or `user/` alike, v1 `.write`). Not for tokens bound to an actor.",
        OperationScope operation => $"Scope: `{operation}`. A token bound to an actor (claim `actor`) decides only as that actor.",
        _ => "",
    };

    private static string Append(string? description, string text) =>
        string.IsNullOrEmpty(description) ? text : description + "\n\n" + text;
}
