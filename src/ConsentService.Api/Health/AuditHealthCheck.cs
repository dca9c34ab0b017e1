using ConsentService.Application.Ports;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ConsentService.Api.Health;

/// <summary>Readiness: the audit trail can take an append now. Decisions fail closed without it (503), so a node
/// whose audit writer is down must not receive traffic.</summary>
public sealed class AuditHealthCheck(IAuditLog audit) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            return await audit.IsWritableAsync(cancellationToken).ConfigureAwait(false)
                ? HealthCheckResult.Healthy("audit writer ready")
                : HealthCheckResult.Unhealthy("audit writer not ready");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"audit writer not ready ({e.GetType().Name})");
        }
    }
}
