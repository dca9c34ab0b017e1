using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace ConsentService.Application.Observability;

/// <summary>
/// The service's own metrics and spans (System.Diagnostics; exported by OpenTelemetry in the Api). Prometheus
/// names: consent_decisions_total{decision,basis}, consent_decision_duration_seconds,
/// consent_audit_commit_duration_seconds, consent_audit_decisions_per_commit, consent_cache_requests_total,
/// consent_cache_hits_total, consent_store_errors_total. Tags and span names never carry PHI (no patient ids,
/// study UIDs or resource ids): only verdicts, bases, kinds and counts.
/// </summary>
public static class ConsentTelemetry
{
    public const string Name = "ConsentService";

    public static readonly Meter Meter = new(Name, "1.0");
    public static readonly ActivitySource Activities = new(Name, "1.0");

    public static readonly Counter<long> Decisions = Meter.CreateCounter<long>("consent.decisions", description: "Decisions made, by verdict and basis.");
    public static readonly Histogram<double> DecisionDuration = Meter.CreateHistogram<double>("consent.decision.duration", "s", "Time to decide a request (single, batch or cohort chunk), audit included.");
    public static readonly Histogram<double> AuditCommitDuration = Meter.CreateHistogram<double>("consent.audit.commit.duration", "s", "Time of one group commit (COMMIT with its fsync) that carried audit records.");
    public static readonly Histogram<long> AuditDecisionsPerCommit = Meter.CreateHistogram<long>("consent.audit.decisions_per_commit", description: "Audit records (decisions and writes) made durable by one group commit.");
    public static readonly Counter<long> CacheRequests = Meter.CreateCounter<long>("consent.cache.requests", description: "Lookups of compiled consents and study facts.");
    public static readonly Counter<long> CacheHits = Meter.CreateCounter<long>("consent.cache.hits", description: "Lookups served from the compiled-version cache.");
    public static readonly Counter<long> StoreErrors = Meter.CreateCounter<long>("consent.store.errors", description: "Store or audit failures surfaced as 503.");

    public static void RecordDecision(string decision, string basis) =>
        Decisions.Add(1, new KeyValuePair<string, object?>("decision", decision), new KeyValuePair<string, object?>("basis", basis));

    public static void RecordCache(bool hit)
    {
        CacheRequests.Add(1);
        if (hit)
        {
            CacheHits.Add(1);
        }
    }
}
