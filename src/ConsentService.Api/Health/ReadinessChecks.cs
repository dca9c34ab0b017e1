using ConsentService.Application.Ports;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ConsentService.Api.Health;

/// <summary>A readiness check that asks one dependency a cheap question; an exception is "not ready", never a crash.</summary>
public abstract class ReadinessCheck(string dependency) : IHealthCheck
{
    protected abstract Task<bool> ProbeAsync(CancellationToken ct);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            return await ProbeAsync(cancellationToken).ConfigureAwait(false)
                ? HealthCheckResult.Healthy($"{dependency} ready")
                : HealthCheckResult.Unhealthy($"{dependency} not ready");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"{dependency} not ready ({e.GetType().Name})");
        }
    }
}

/// <summary>Readiness: the store answers a cheap query.</summary>
public sealed class StoreHealthCheck(IResourceStore store) : ReadinessCheck("store")
{
    protected override Task<bool> ProbeAsync(CancellationToken ct) => store.PingAsync(ct);
}

/// <summary>Readiness: the audit trail can take an append now. Decisions fail closed without it (503), so a node
/// whose audit writer is down must not receive traffic.</summary>
public sealed class AuditHealthCheck(IAuditLog audit) : ReadinessCheck("audit writer")
{
    protected override Task<bool> ProbeAsync(CancellationToken ct) => audit.IsWritableAsync(ct);
}
