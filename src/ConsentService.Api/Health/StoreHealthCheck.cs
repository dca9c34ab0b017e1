using ConsentService.Application.Ports;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ConsentService.Api.Health;

/// <summary>Readiness: the store answers a cheap query.</summary>
public sealed class StoreHealthCheck(IResourceStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            return await store.PingAsync(cancellationToken).ConfigureAwait(false)
                ? HealthCheckResult.Healthy("store reachable")
                : HealthCheckResult.Unhealthy("store not reachable");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"store not reachable ({e.GetType().Name})");
        }
    }
}
