using ConsentService.Application.Security;

namespace ConsentService.Application.Audit;

/// <summary>Every refused access (401, 403) joins the audit trail as an AuditEvent with outcome failure. A refusal
/// is answered whatever happens here: a failure to record it is swallowed (the answer is a refusal either way).</summary>
public sealed class AuditedAccessRefusalSink(AuditTrail audit) : IAccessRefusalSink
{
    public async ValueTask RecordAsync(AccessRefusal refusal, CancellationToken ct)
    {
        try
        {
            await audit.RecordRefusalAsync(new RefusedAccess(refusal.Endpoint, Target: null, Patient: null, refusal.Status, refusal.Reason), ct)
                .ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Observability.ConsentTelemetry.StoreErrors.Add(1);
        }
    }
}
