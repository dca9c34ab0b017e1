using System.Globalization;
using System.Threading.RateLimiting;
using ConsentService.Api.Errors;
using ConsentService.Application;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace ConsentService.Api.Security;

/// <summary>Configuration section <c>RateLimiting</c>.</summary>
public sealed class RateLimitingOptions
{
    public const string Section = "RateLimiting";

    /// <summary>Sustained requests per second per client (<c>client_id</c>, else <c>sub</c>; without a valid token, per remote address).</summary>
    public int PermitsPerSecond { get; set; } = 1000;

    /// <summary>Requests a client may make at once above the sustained rate; default one second's worth.</summary>
    public int? Burst { get; set; }

    /// <summary>Requests in progress at once across all clients (protects the store).</summary>
    public int MaxConcurrentRequests { get; set; } = 256;

    /// <summary>Requests that may wait for one of <see cref="MaxConcurrentRequests"/>; beyond, 429.</summary>
    public int MaxQueuedRequests { get; set; } = 1024;

    public int EffectiveBurst => Burst ?? PermitsPerSecond;
}

public sealed class RateLimitingOptionsValidator : IValidateOptions<RateLimitingOptions>
{
    public ValidateOptionsResult Validate(string? name, RateLimitingOptions options)
    {
        var failures = new List<string>();
        if (options.PermitsPerSecond < 1)
        {
            failures.Add("RateLimiting:PermitsPerSecond must be at least 1.");
        }
        if (options.Burst is < 1)
        {
            failures.Add("RateLimiting:Burst must be at least 1 (leave it out for one second's worth of permits).");
        }
        if (options.MaxConcurrentRequests < 1)
        {
            failures.Add("RateLimiting:MaxConcurrentRequests must be at least 1.");
        }
        if (options.MaxQueuedRequests < 0)
        {
            failures.Add("RateLimiting:MaxQueuedRequests must not be negative.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>
/// A token bucket per client and one concurrency limit over all requests, chained as the global limiter; health
/// and metrics are exempt (an orchestrator must see a busy service as alive). Runs after authentication so that
/// only a validated token's client id chooses the bucket.
/// </summary>
public static class RateLimits
{
    public static IServiceCollection AddClientRateLimits(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RateLimitingOptions>().Bind(configuration.GetSection(RateLimitingOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<RateLimitingOptions>, RateLimitingOptionsValidator>();
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<RateLimitingOptions>>((limiter, options) =>
        {
            var settings = options.Value;
            limiter.GlobalLimiter = PartitionedRateLimiter.CreateChained(
                PartitionedRateLimiter.Create<HttpContext, string>(context => IsExempt(context)
                    ? RateLimitPartition.GetNoLimiter("exempt")
                    : RateLimitPartition.GetTokenBucketLimiter(ClientKey(context), _ => new TokenBucketRateLimiterOptions
                    {
                        TokenLimit = settings.EffectiveBurst,
                        TokensPerPeriod = settings.PermitsPerSecond,
                        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                        QueueLimit = 0,
                        AutoReplenishment = true,
                    })),
                PartitionedRateLimiter.Create<HttpContext, string>(context => IsExempt(context)
                    ? RateLimitPartition.GetNoLimiter("exempt")
                    : RateLimitPartition.GetConcurrencyLimiter("store", _ => new ConcurrencyLimiterOptions
                    {
                        PermitLimit = settings.MaxConcurrentRequests,
                        QueueLimit = settings.MaxQueuedRequests,
                        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                    })));
            limiter.OnRejected = RejectAsync;
        });
        return services;
    }

    private static bool IsExempt(HttpContext context) =>
        context.Request.Path.StartsWithSegments("/healthz") || context.Request.Path.StartsWithSegments("/metrics");

    /// <summary>The validated token's client, else the remote address.</summary>
    public static string ClientKey(HttpContext context)
    {
        var caller = context.Caller();
        return caller.IsAuthenticated && caller.ClientId is { Length: > 0 } client
            ? "client:" + client
            : "address:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
    }

    private static async ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken ct)
    {
        var seconds = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter)
            ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds))
            : 1;
        var context = rejected.HttpContext;
        context.Response.OnStarting(() =>
        {
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            return System.Threading.Tasks.Task.CompletedTask;
        });
        await ApiExceptionHandler.WriteAsync(context, StatusCodes.Status429TooManyRequests, OperationOutcome.IssueType.Throttled,
            [new ContentIssue("", $"Too many requests; retry after {seconds} second(s).")]);
    }
}
