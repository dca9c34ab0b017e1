using ConsentService.Application.Ports;
using ConsentService.Application.Search;

namespace ConsentService.Application.Audit;

/// <summary>
/// Audit records as stored and as read. The stored form (hash-chained, kept byte for byte) is a FHIR AuditEvent's
/// JSON, except for decisions, which store their decision record (<see cref="DecisionAuditEvent"/>). Everything that
/// shows or searches events reads them through here, so every reader sees the same FHIR AuditEvent; only the
/// chain's verification reads the stored form.
/// </summary>
public static class StoredAuditEvents
{
    /// <summary>The FHIR AuditEvent JSON of a stored record.</summary>
    public static string Fhir(string stored) =>
        DecisionAuditEvent.IsDecisionRecord(stored) ? DecisionAuditEvent.Render(stored).Json : stored;

    /// <summary>A stored AuditEvent (read or search result) with its FHIR JSON.</summary>
    public static StoredResource Fhir(StoredResource stored) => stored with { Json = Fhir(stored.Json) };

    /// <summary>The search index entries of a stored record (for rebuilding the audit index).</summary>
    public static IReadOnlyList<SearchIndexEntry> Index(string stored) =>
        DecisionAuditEvent.IsDecisionRecord(stored)
            ? DecisionAuditEvent.Render(stored).Index
            : SearchIndexer.Extract(Resources.StoredJson.Parse(stored));
}
