using ConsentService.Application.Security;
using ConsentService.Application.Ports;
using ConsentService.Application.Resources;
using Resource = Hl7.Fhir.Model.Resource;

namespace ConsentService.Application.Audit;

/// <summary>
/// Records what the service does for its callers: reads of Consents, refused accesses, and (through
/// <see cref="ForWrite"/>) resource writes in the store's own transaction. Every method returns once the event is
/// durable; when the trail cannot be written it throws <see cref="ServiceUnavailableException"/> so that nothing
/// unaudited is answered (fail closed). Decisions are recorded by <see cref="Decisions.DecisionService"/>.
/// </summary>
public sealed class AuditTrail(IAuditLog log, IRequestCallerAccessor callers, TimeProvider clock)
{
    /// <summary>The caller of the current request.</summary>
    public RequestCaller Caller => callers.Caller;

    /// <summary>Whether reads of this type are audited (Consents: they state a patient's choices).</summary>
    public static bool AuditsReadsOf(string resourceType) => resourceType == SupportedResources.Consent;

    /// <summary>Records a refused access (called by the authorization layer before it answers 401/403/404/429).</summary>
    public Task RecordRefusalAsync(RefusedAccess refusal, CancellationToken ct) =>
        AppendAsync([RefusalAuditEvent.Build(refusal, Caller, clock.GetUtcNow())], ct);

    /// <summary>Records a read or vread of one version (Consents only; other types are not audited on read).</summary>
    public Task RecordReadAsync(StoredResource read, bool vread, CancellationToken ct) =>
        AuditsReadsOf(read.ResourceType) && !read.IsDeleted
            ? AppendAsync([ResourceAuditEvents.Read(read, vread, Caller, clock.GetUtcNow())], ct)
            : System.Threading.Tasks.Task.CompletedTask;

    /// <summary>Records a search or history page: one event per patient concerned (Consents only).</summary>
    public Task RecordQueryAsync(string interaction, string resourceType, string rawQuery, IEnumerable<StoredResource> returned, CancellationToken ct) =>
        AuditsReadsOf(resourceType)
            ? AppendAsync(ResourceAuditEvents.Query(interaction, resourceType, rawQuery, returned, Caller, clock.GetUtcNow()), ct)
            : System.Threading.Tasks.Task.CompletedTask;

    /// <summary>The audit of a write of <paramref name="resource"/> (null for a delete), for
    /// <see cref="ResourceWrite.Audit"/>: the store builds it with the version it writes, in its transaction.</summary>
    public WriteAudit ForWrite(Resource? resource)
    {
        var caller = Caller; // captured now: the store's writer runs outside the request's context
        return (written, previous) => ResourceAuditEvents.Write(written, previous, resource, caller);
    }

    /// <summary>Appends records; a store failure becomes <see cref="ServiceUnavailableException"/> (503).</summary>
    public async System.Threading.Tasks.Task AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken ct)
    {
        try
        {
            await log.AppendAsync(records, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException and not ServiceException)
        {
            throw new ServiceUnavailableException("The audit trail could not be written, so the request is not answered.", e);
        }
    }
}
