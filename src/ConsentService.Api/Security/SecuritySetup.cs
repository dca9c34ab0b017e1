using ConsentService.Application.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ConsentService.Api.Security;

/// <summary>Composition of access control and hardening: authentication, the scope policy, rate limits, CORS,
/// HSTS, PHI-safe logging, SMART discovery. Called from <see cref="ServiceSetup"/>.</summary>
public static partial class SecuritySetup
{
    public static WebApplicationBuilder AddConsentSecurity(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<AuthOptions>().Bind(builder.Configuration.GetSection(AuthOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>();
        services.AddSingleton<AuthMode>();
        services.AddBearerAuthentication();
        services.AddAuthorization(options =>
        {
            var policy = ScopeAuthorization.BuildPolicy();
            options.AddPolicy(ScopeAuthorization.Policy, policy);
            options.FallbackPolicy = policy;
        });
        services.AddSingleton<IAuthorizationHandler, EndpointScopeHandler>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, RefusalWritingResultHandler>();
        services.TryAddSingleton<IAccessRefusalSink, NoAccessRefusalSink>();
        services.AddExceptionHandler<AccessDeniedExceptionHandler>();
        services.AddClientRateLimits(builder.Configuration);
        services.AddAllowListCors(builder.Configuration);
        services.AddHsts(hsts =>
        {
            hsts.MaxAge = TimeSpan.FromDays(365);
            hsts.IncludeSubDomains = true;
        });
        services.AddSingleton<SmartDiscovery>();
        PhiSafeLogging.Apply(builder.Logging);
        return builder;
    }

    /// <summary>The middleware in order: HSTS, CORS (preflights answer before authentication), authentication, rate
    /// limits (keyed by the validated client), authorization. Call after the public OpenAPI document.</summary>
    public static WebApplication UseConsentSecurity(this WebApplication app)
    {
        if (!app.Environment.IsDevelopment())
        {
            app.UseHsts();
        }
        // Resolved once started, so that an invalid Auth section is reported by start-up validation, not here.
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            if (app.Services.GetRequiredService<AuthMode>().IsOpen)
            {
                LogOpen(app.Logger);
            }
        });
        app.UseCors();
        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseAuthorization();
        app.MapGet("/.well-known/smart-configuration", async (SmartDiscovery smart, CancellationToken ct) =>
                TypedResults.Json(await smart.ConfigurationAsync(ct)))
            .AllowAnonymous()
            .WithTags("SMART").WithName("smartConfiguration")
            .WithSummary("SMART App Launch discovery: token endpoint, supported scopes and capabilities.");
        return app;
    }

    [LoggerMessage(Level = LogLevel.Critical, Message =
        "AUTHENTICATION IS OFF: no Auth settings are configured and the environment is Development, so every request is "
        + "treated as fully authorised. Never run like this with real data; set Auth:Authority or Auth:SigningKey.")]
    private static partial void LogOpen(ILogger logger);
}
