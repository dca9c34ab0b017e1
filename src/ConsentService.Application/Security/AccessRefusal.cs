namespace ConsentService.Application.Security;

/// <summary>One refused access (401 or 403): where, who as far as known, and why (no PHI: scopes and rules only).</summary>
/// <param name="Endpoint">The endpoint's route pattern, e.g. "GET /fhir/Consent/{id}" (never the raw URL,
/// which may carry identifiers).</param>
public sealed record AccessRefusal(string Endpoint, int Status, string Reason, RequestCaller Caller, DateTimeOffset At);

/// <summary>
/// Where refused accesses go. Called for every 401 and 403 the service answers. The audit trail records them
/// as AuditEvents with outcome failure (wired when the audit trail lands); until then the default records
/// nothing. Implementations must not throw for an unreachable store: a refusal is answered regardless.
/// </summary>
public interface IAccessRefusalSink
{
    ValueTask RecordAsync(AccessRefusal refusal, CancellationToken ct);
}

/// <summary>The default <see cref="IAccessRefusalSink"/>: records nothing (registered with TryAdd, so the
/// audit trail's sink replaces it).</summary>
public sealed class NoAccessRefusalSink : IAccessRefusalSink
{
    public ValueTask RecordAsync(AccessRefusal refusal, CancellationToken ct) => ValueTask.CompletedTask;
}
