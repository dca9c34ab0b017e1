using ConsentService.Application.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace ConsentService.Api.Security;

/// <summary>Describes the bearer scheme in the OpenAPI document and, on each operation, the scope it needs
/// (bearer requirements carry no scope list in OpenAPI 3.0, so the scope is stated in the description) and the
/// refusals it can answer, with their bodies (<see cref="OpenApi.AccessRefusalExamples"/>). Runs after
/// <see cref="OpenApi.ExamplesFilter"/>, so that the scope is appended to the operation's own description.</summary>
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
            OpenApi.AccessRefusalExamples.AddThrottled(operation, context);
            return;
        }
        var scope = metadata.OfType<ScopeRequirement>().FirstOrDefault();
        if (scope is null)
        {
            return;
        }
        operation.Description = Append(operation.Description, OpenApi.AccessRefusalExamples.NeedsWholeTrail(operation.OperationId)
            ? $"Scope: `{scope}` (or `user/` alike, v1 `.read`): the whole trail, so a patient scope is refused (403). Not for tokens bound to an actor."
            : Describe(scope));
        operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SchemeName, context.Document)] = [] }];
        OpenApi.AccessRefusalExamples.AddProtected(operation, context, scope);
    }

    public static string Describe(ScopeRequirement scope) => scope switch
    {
        ResourceScope resource when (resource.Interactions & ~(ScopeInteractions.Read | ScopeInteractions.Search)) == 0 =>
            $"Scope: `{resource}` (or `user/` alike, v1 `.read`); `patient/{resource.ResourceType}.{GrantedScope.Letters(resource.Interactions)}` "
            + "limits it to the token's patient. Not for tokens bound to an actor.",
        ResourceScope resource => $"Scope: `{resource}` (or `user/` alike, v1 `.write`). Not for tokens bound to an actor.",
        OperationScope operation => $"Scope: `{operation}`. A token bound to an actor (claim `actor`) decides only as that actor.",
        EntryScopes => "Scope: each entry needs the scope of its own interaction (`system/<Type>.c`, `.u` or `.d`), checked per entry. "
            + "Not for tokens bound to an actor.",
        _ => "",
    };

    private static string Append(string? description, string text) =>
        string.IsNullOrEmpty(description) ? text : description + "\n\n" + text;
}
