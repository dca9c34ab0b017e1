using ConsentService.Application.Audit;
using ConsentService.Application.Ports;
using ConsentService.Application.Security;
using ConsentService.Domain.Decisions;
using ConsentService.Domain.Fhir;

namespace ConsentService.Application.Decisions;

/// <summary>The answer for one study, with the patient the audit record must name (never sent to the caller).</summary>
public sealed record DecidedStudy(DecisionResult Result, string? PatientReference);

/// <summary>
/// Decides a list of studies for one actor, purpose, action and instant: loads the facts each rests on, runs the
/// one engine, and writes one AuditEvent per study before anything is returned (fail closed: if the audit
/// cannot be written there is no answer, and so no permit). Single and batch requests both come here, with the
/// caller: it binds the actor and limits what the answer shows (<see cref="DecisionCaller"/>); the audit always
/// records the full decision.
/// </summary>
public sealed class DecisionService(DecisionFacts facts, IAuditLog audit, DecisionSettings settings, TimeProvider clock)
{
    /// <param name="unknownIsNotFound">A single decision: an unknown study is a 404 and nothing is decided or
    /// audited. A batch: an unknown study is a deny with basis unknown-study, audited like the others.</param>
    public async Task<IReadOnlyList<DecidedStudy>> DecideAsync(IReadOnlyList<StudyReference> studies, RequestCaller caller, string? requestedActor,
        IdentifierValue? requestedActorIdentifier, PurposeCoding purpose, string action, DateTimeOffset? at, bool unknownIsNotFound, CancellationToken ct)
    {
        var (boundActor, actorIdentifier) = DecisionCaller.Bind(caller, requestedActor, requestedActorIdentifier);
        var actor = boundActor ?? throw new InvalidRequestException([new ContentIssue("actor", "actor is required.")]);
        var request = new DecisionRequest(actor, actorIdentifier?.System, actorIdentifier?.Value,
            purposeSystem: purpose.System!, purposeCode: purpose.Code!, action: action);
        var instant = at ?? clock.GetUtcNow();
        var snapshot = await facts.SnapshotAsync(at, ct).ConfigureAwait(false);
        var policy = new PolicyRef(settings.Policy.Id, settings.Policy.Version);

        var decided = new DecidedStudy[studies.Count];
        var full = new DecisionResult[studies.Count];
        // Studies of one patient share one load of that patient's consents.
        var consentsByPatient = new Dictionary<string, IReadOnlyList<Domain.Consents.CompiledConsent>>(StringComparer.Ordinal);
        for (var i = 0; i < studies.Count; i++)
        {
            var loaded = await facts.StudyAsync(studies[i], snapshot, ct).ConfigureAwait(false);
            if (loaded is null)
            {
                if (unknownIsNotFound)
                {
                    throw new ResourceNotFoundException("No ImagingStudy with this identity is registered.");
                }
                full[i] = Unknown(studies[i], actor, purpose, action, instant, policy);
                decided[i] = new DecidedStudy(full[i], null);
                continue;
            }
            var patientKey = PatientKey(loaded.Facts);
            if (!consentsByPatient.TryGetValue(patientKey, out var consents))
            {
                consents = await facts.ConsentsAsync(loaded.Facts, snapshot, ct).ConfigureAwait(false);
                consentsByPatient[patientKey] = consents;
            }
            var decision = settings.Engine.Decide(request, loaded.Facts, consents, settings.Policy, instant);
            full[i] = Map(decision, loaded, actor, purpose, action, instant, policy);
            decided[i] = new DecidedStudy(DecisionCaller.View(caller, full[i], decision.Reasons), loaded.Facts.PatientReference);
        }

        var recorded = clock.GetUtcNow();
        var records = new AuditRecord[decided.Length];
        for (var i = 0; i < decided.Length; i++)
        {
            records[i] = DecisionAuditEvent.Build(full[i], decided[i].PatientReference, recorded);
        }
        try
        {
            await audit.AppendAsync(records, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new ServiceUnavailableException("The audit trail could not be written, so no decision is given.", e);
        }
        return decided;
    }

    private static string PatientKey(Domain.Studies.StudyFacts facts) =>
        facts.PatientReference + "#" + string.Join(",", facts.PatientIdentifierKeys);

    private static DecisionResult Map(Decision decision, LoadedStudy study, string actor, PurposeCoding purpose, string action,
        DateTimeOffset instant, PolicyRef policy) => new(
            DecisionId: Guid.NewGuid().ToString(),
            Decision: decision.Verdict == Verdict.Permit ? DecisionValues.Permit : DecisionValues.Deny,
            Basis: decision.Basis == DecisionBasis.Consent ? DecisionValues.BasisConsent : DecisionValues.BasisPolicy,
            Study: study.Facts.Uid ?? "",
            ImagingStudy: $"ImagingStudy/{study.Stored.Id}",
            Actor: actor,
            Purpose: purpose,
            Action: action,
            At: instant,
            Consent: decision.ConsentReference,
            ProvisionPath: decision.ProvisionPath,
            Reasons: decision.Reasons.Select(r => r.Text).ToArray(),
            Obligations: decision.Obligations.Select(o => new ObligationCoding(o.System, o.Code, o.Display)).ToArray(),
            Policy: policy);

    private static DecisionResult Unknown(StudyReference study, string actor, PurposeCoding purpose, string action,
        DateTimeOffset instant, PolicyRef policy) => new(
            DecisionId: Guid.NewGuid().ToString(),
            Decision: DecisionValues.Deny,
            Basis: DecisionValues.BasisUnknownStudy,
            Study: study.Uid ?? "",
            ImagingStudy: study.ImagingStudyId is { } id ? $"ImagingStudy/{id}" : null,
            Actor: actor,
            Purpose: purpose,
            Action: action,
            At: instant,
            Consent: null,
            ProvisionPath: null,
            Reasons: ["No ImagingStudy with this identity is registered (at the decision instant), so nothing may be used."],
            Obligations: [],
            Policy: policy);

    /// <summary>The purpose with its defaults applied (v3-ActReason MLTRAINING).</summary>
    public static PurposeCoding Purpose(PurposeCoding? purpose) =>
        new(purpose?.System ?? CodeSystems.ActReason, purpose?.Code ?? "MLTRAINING");
}
