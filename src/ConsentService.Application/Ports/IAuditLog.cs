namespace ConsentService.Application.Ports;

/// <summary>One AuditEvent as stored: its id (a decision's decisionId), when it was recorded, and its FHIR JSON.</summary>
public sealed record AuditRecord(string Id, DateTimeOffset Recorded, string Json);

/// <summary>
/// The append-only audit trail. <see cref="AppendAsync"/> returns only once every record is durable (committed),
/// so a decision is answered only after its record exists; when it throws, nothing may be answered as a permit.
/// Implementations group-commit concurrent appends.
/// </summary>
public interface IAuditLog
{
    Task AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken ct);

    Task<AuditRecord?> ReadAsync(string id, CancellationToken ct);
}
