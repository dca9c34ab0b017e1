using ConsentService.Application.Observability;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace ConsentService.Api.Observability;

/// <summary>
/// OpenTelemetry: ASP.NET Core request metrics and the service's own (ConsentTelemetry) exported for Prometheus
/// at /metrics; traces (request, engine, audit spans) exported over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set.
/// Span names are route templates, never raw paths; query strings are dropped from spans (they may carry
/// patient= or identifier= values). Logs are JSON lines in Production (with trace ids as scopes).
/// </summary>
public static class ObservabilitySetup
{
    public static WebApplicationBuilder AddObservability(this WebApplicationBuilder builder)
    {
        // Per-request framework chatter (result writing, endpoint execution) is not operational signal and costs
        // a log line per request: held at Warning unless configuration names the category itself (appsettings.json
        // says the same, but the process may start from a folder that has none).
        if (builder.Configuration["Logging:LogLevel:Microsoft.AspNetCore"] is null)
        {
            builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        }
        if (!builder.Environment.IsDevelopment())
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddJsonConsole(json =>
            {
                json.IncludeScopes = true;
                json.UseUtcTimestamp = true;
                json.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        }
        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(ConsentTelemetry.Name, serviceInstanceId: Environment.MachineName))
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddMeter(ConsentTelemetry.Name)
                .AddPrometheusExporter())
            .WithTracing(tracing =>
            {
                // Spans are recorded only when they are exported: without an OTLP endpoint nothing would read them,
                // and creating and enriching one per request cost about 8% of a single decision's CPU.
                tracing.SetSampler(otlp ? new ParentBasedSampler(new AlwaysOnSampler()) : new AlwaysOffSampler())
                    .AddSource(ConsentTelemetry.Name)
                    .AddAspNetCoreInstrumentation(options =>
                    {
                        options.Filter = context => !context.Request.Path.StartsWithSegments("/metrics") && !context.Request.Path.StartsWithSegments("/healthz");
                        options.EnrichWithHttpRequest = (activity, request) => RedactUrl(activity, request);
                        options.EnrichWithHttpResponse = (activity, response) => RedactUrl(activity, response.HttpContext.Request);
                    });
                if (otlp)
                {
                    tracing.AddOtlpExporter();
                }
            });
        return builder;
    }

    public static WebApplication MapObservability(this WebApplication app)
    {
        app.MapPrometheusScrapingEndpoint("/metrics").AllowAnonymous(); // scrapers carry no token; metrics hold no PHI
        return app;
    }

    // The instrumentation already names spans by route template; make sure no attribute keeps a query string or a
    // raw path with identifiers in it.
    private static void RedactUrl(System.Diagnostics.Activity activity, HttpRequest request)
    {
        if (request.QueryString.HasValue)
        {
            activity.SetTag("url.query", null);
        }
        var route = (request.HttpContext.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText;
        activity.SetTag("url.path", route ?? "unmatched");
        activity.SetTag("url.full", null);
    }
}
