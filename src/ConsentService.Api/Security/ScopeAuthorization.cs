using ConsentService.Application.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace ConsentService.Api.Security;

/// <summary>
/// Every endpoint states the scope it needs as metadata (<see cref="RequireScope"/>); one policy checks it. The
/// policy is also the fallback, so an endpoint that states no scope (and is not marked public with
/// <c>AllowAnonymous</c>) refuses every token: a forgotten declaration fails closed.
/// </summary>
public static class ScopeAuthorization
{
    public const string Policy = "scope";

    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, ScopeRequirement scope) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(scope).RequireAuthorization(Policy);

    public static AuthorizationPolicy BuildPolicy() =>
        new AuthorizationPolicyBuilder().RequireAuthenticatedUser().AddRequirements(new EndpointScopeRequirement()).Build();
}

/// <summary>The endpoint's <see cref="ScopeRequirement"/> must be granted by the caller's token.</summary>
public sealed class EndpointScopeRequirement : IAuthorizationRequirement
{
    public override string ToString() => "the endpoint's scope";
}

public sealed class EndpointScopeHandler : AuthorizationHandler<EndpointScopeRequirement>
{
    protected override System.Threading.Tasks.Task HandleRequirementAsync(AuthorizationHandlerContext context, EndpointScopeRequirement requirement)
    {
        if (context.Resource is not HttpContext http)
        {
            context.Fail(new AuthorizationFailureReason(this, "The request could not be authorised."));
            return System.Threading.Tasks.Task.CompletedTask;
        }
        var endpoint = http.GetEndpoint();
        if (endpoint is null)
        {
            // No endpoint matched: nothing to protect, routing answers 404.
            context.Succeed(requirement);
            return System.Threading.Tasks.Task.CompletedTask;
        }
        var caller = http.Caller();
        var reason = endpoint.Metadata.GetMetadata<ScopeRequirement>() switch
        {
            ResourceScope resource => caller.AccessTo(resource) is { IsDenied: true } access ? access.Reason : null,
            OperationScope operation => caller.Grants(operation) ? null : $"This request needs the scope {operation}.",
            EntryScopes => caller.IsAuthenticated && !caller.IsVendorBound ? null : "A bundle needs a token that may write FHIR resources.",
            _ => "This endpoint declares no scope, so no token may use it.",
        };
        if (reason is null)
        {
            context.Succeed(requirement);
        }
        else
        {
            context.Fail(new AuthorizationFailureReason(this, reason));
        }
        return System.Threading.Tasks.Task.CompletedTask;
    }
}

/// <summary>Turns the policy's verdict into the service's 401 and 403 answers (see <see cref="AccessRefusals"/>).</summary>
public sealed class RefusalWritingResultHandler : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async System.Threading.Tasks.Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Forbidden)
        {
            var reason = authorizeResult.AuthorizationFailure?.FailureReasons.Select(r => r.Message).FirstOrDefault()
                ?? "The token does not grant this request.";
            await AccessRefusals.WriteAsync(context, StatusCodes.Status403Forbidden, reason);
            return;
        }
        // Challenges go to the bearer handler, which answers 401 through AccessRefusals too.
        await _default.HandleAsync(next, context, policy, authorizeResult);
    }
}
