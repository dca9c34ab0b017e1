using System.Text.Json;
using ConsentService.Api.Configuration;
using ConsentService.Api.Endpoints;
using ConsentService.Api.Errors;
using ConsentService.Api.Fhir;
using ConsentService.Api.Health;
using ConsentService.Api.Observability;
using ConsentService.Api.Security;
using ConsentService.Application;
using ConsentService.Infrastructure;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace ConsentService.Api;

/// <summary>Composition of the service: options, application, store, endpoints.</summary>
public static class ServiceSetup
{
    public static WebApplicationBuilder AddConsentService(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        builder.AddObservability();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // Endpoints read bodies within their own limits (10 MiB; Fhir:MaxBundleBytes for POST /fhir).
            kestrel.Limits.MaxRequestBodySize = RequestBody.DefaultLimitBytes;
        });

        services.AddOptions<DecisionsOptions>().Bind(builder.Configuration.GetSection(DecisionsOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<DecisionsOptions>, DecisionsOptionsValidator>();
        services.AddSingleton(provider => provider.GetRequiredService<IOptions<DecisionsOptions>>().Value.ToSettings());
        services.AddOptions<FhirOptions>().Bind(builder.Configuration.GetSection(FhirOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<FhirOptions>, FhirOptionsValidator>();
        services.AddStorage(builder.Configuration);
        services.AddApplication();
        services.AddHttpContextAccessor();
        services.AddSingleton<Application.Audit.IRequestCallerAccessor, Audit.HttpRequestCallerAccessor>();

        builder.AddConsentSecurity();
        services.AddExceptionHandler<ApiExceptionHandler>();
        services.AddProblemDetails();
        services.AddHealthChecks()
            .AddCheck<StoreHealthCheck>("store", tags: ["ready"])
            .AddCheck<AuditHealthCheck>("audit", tags: ["ready"]);
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(OpenApiSetup.Configure);
        return builder;
    }

    public static WebApplication UseConsentService(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.Use(async (context, next) =>
        {
            context.Response.Headers.XContentTypeOptions = "nosniff";
            await next(context);
        });
        app.UseSwagger();
        if (app.Environment.IsDevelopment())
        {
            app.UseSwaggerUI(ui => ui.SwaggerEndpoint("/swagger/v1/swagger.json", "ConsentService v1"));
        }
        app.UseConsentSecurity();
        app.MapObservability();
        app.MapHealthChecks("/healthz/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteHealth }).AllowAnonymous();
        app.MapHealthChecks("/healthz/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready"), ResponseWriter = WriteHealth }).AllowAnonymous();
        app.MapFhirApi();
        app.MapBundleApi();
        app.MapDecisionApi();
        app.MapAuditEventFhirApi();
        app.MapAuditApi();
        return app;
    }

    private static Task WriteHealth(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
        }));
    }
}
