using ConsentService.Application.Security;
using ConsentService.Application.Decisions;
using ConsentService.Application.Ports;
using ConsentService.Domain.Fhir;
using FluentValidation;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using MediatR;
using static ConsentService.Application.Audit.AuditEventParts;
using SearchParamType = ConsentService.Application.Ports.SearchParamType;

namespace ConsentService.Application.Audit;

/// <summary>GET /api/v1/disclosures?patient=Patient/&lt;id&gt;: the accounting of disclosures of one patient.</summary>
public sealed record AccountDisclosuresQuery(string? Patient) : IRequest<DisclosureAccounting>;

/// <summary>Per recipient, the studies permitted (decisions) and reported exported (disclosure events).</summary>
public sealed record DisclosureAccounting(string Patient, IReadOnlyList<RecipientDisclosures> Recipients);

/// <param name="Recipient">"Organization/&lt;id&gt;", or "system|value" for a recipient named by identifier only.</param>
public sealed record RecipientDisclosures(string Recipient, IReadOnlyList<PermittedStudy> Permitted, IReadOnlyList<ExportedStudy> Exported);

/// <summary>A permit decision: the recipient may use the study.</summary>
/// <param name="DecisionId">The decision's id (its AuditEvent id).</param>
/// <param name="Study">The DICOM Study Instance UID ("urn:oid:...").</param>
/// <param name="Consent">The Consent version the permit rests on ("Consent/x/_history/v"), null when the default policy permitted.</param>
public sealed record PermittedStudy(string DecisionId, string? ImagingStudy, string? Study, DateTimeOffset At, PurposeCoding? Purpose, string? Consent);

/// <summary>A reported export of the study to the recipient.</summary>
/// <param name="EventId">The disclosure's AuditEvent id.</param>
/// <param name="Decision">The decision the exporter named (an entity AuditEvent/&lt;decisionId&gt;), if any.</param>
/// <param name="Consent">The Consent version named by the event, else that of the decision it names, else null.</param>
public sealed record ExportedStudy(string EventId, string? ImagingStudy, string? Study, DateTimeOffset At, PurposeCoding? Purpose,
    string? Decision, string? Consent);

public sealed class AccountDisclosuresValidator : AbstractValidator<AccountDisclosuresQuery>
{
    public AccountDisclosuresValidator() =>
        RuleFor(q => q.Patient).Must(p => FhirReferences.TryNormalize(p, out var type, out _) && type == "Patient")
            .WithName("patient").WithMessage("patient must be a Patient reference, e.g. Patient/123.");
}

public sealed class AccountDisclosuresHandler(IAuditLog log, IRequestCallerAccessor callers) : IRequestHandler<AccountDisclosuresQuery, DisclosureAccounting>
{
    private const int PageSize = 1000;

    public async Task<DisclosureAccounting> Handle(AccountDisclosuresQuery request, CancellationToken cancellationToken)
    {
        FhirReferences.TryNormalize(request.Patient, out _, out var patient);
        // A patient-scoped token sees only its own patient's accounting; another patient's does not exist for it.
        if (callers.Caller.Require(ResourceScope.ReadAndSearch("AuditEvent")).Patient is { } own && patient != $"Patient/{own}")
        {
            throw new ResourceNotFoundException($"No accounting of disclosures is available for {patient}.");
        }
        var events = await EventsAsync(patient, cancellationToken).ConfigureAwait(false);
        var permitted = new List<(string Recipient, PermittedStudy Study)>();
        var exported = new List<(string Recipient, ExportedStudy Study)>();
        var consentOfDecision = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var audit in events)
        {
            if (audit.Id is not { } id
                || audit.Agent.FirstOrDefault(a => a.Type?.Coding.Any(c => c.System == ParticipationType && c.Code == Recipient) == true) is not { } agent
                || RecipientOf(agent) is not { } recipient)
            {
                continue;
            }
            var study = audit.Entity.FirstOrDefault(e => ReportDisclosureValidator.StudyOf(e) is not null);
            var imagingStudy = FhirReferences.NormaliseLiteral(study?.What?.Reference);
            var uid = study?.What?.Identifier?.Value;
            var purpose = (audit.PurposeOfEvent.FirstOrDefault() ?? agent.PurposeOfUse.FirstOrDefault())?.Coding.FirstOrDefault() is { } coding
                ? new PurposeCoding(coding.System, coding.Code) : null;
            var consent = audit.Entity.Select(e => e.What?.Reference).FirstOrDefault(r => r is not null && r.StartsWith("Consent/", StringComparison.Ordinal));
            var at = audit.Recorded ?? DateTimeOffset.MinValue;
            if (audit.Type?.Code == SecurityAlert)
            {
                consentOfDecision[id] = consent;
                var verdict = study?.Detail.FirstOrDefault(d => d.Type == DecisionDetail)?.Value as FhirString;
                if (verdict?.Value == DecisionValues.Permit)
                {
                    permitted.Add((recipient, new PermittedStudy(id, imagingStudy, uid, at, purpose, consent)));
                }
            }
            else
            {
                var decision = audit.Entity.Select(e => FhirReferences.TryNormalize(e.What?.Reference, out var type, out var typeAndId) && type == "AuditEvent" ? typeAndId["AuditEvent/".Length..] : null)
                    .FirstOrDefault(d => d is not null);
                exported.Add((recipient, new ExportedStudy(id, imagingStudy, uid, at, purpose, decision,
                    consent ?? (decision is not null ? consentOfDecision.GetValueOrDefault(decision) : null))));
            }
        }
        var recipients = permitted.Select(p => p.Recipient).Concat(exported.Select(e => e.Recipient)).Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .Select(r => new RecipientDisclosures(r,
                permitted.Where(p => p.Recipient == r).Select(p => p.Study).ToArray(),
                exported.Where(e => e.Recipient == r).Select(e => e.Study).ToArray()))
            .ToArray();
        return new DisclosureAccounting(patient, recipients);
    }

    /// <summary>The patient's decisions and disclosures in commit order (decisions before the exports naming them).</summary>
    private async Task<List<AuditEvent>> EventsAsync(string patient, CancellationToken ct)
    {
        SearchClause[] clauses =
        [
            new("patient", SearchParamType.Reference, [new SearchValue(Value: patient)]),
            new("subtype", SearchParamType.Token, [new SearchValue(BalpAuthZSubtype, AuthZConsent), new SearchValue(Lifecycle, Disclose)]),
        ];
        var events = new List<AuditEvent>();
        long? snapshot = null;
        for (var offset = 0; ; offset += PageSize)
        {
            var page = await log.SearchAsync(new SearchQuery("AuditEvent", clauses, [], PageSize, offset, snapshot), ct).ConfigureAwait(false);
            snapshot = page.Snapshot;
            events.AddRange(page.Resources.Select(r => (AuditEvent)Resources.StoredJson.Parse(StoredAuditEvents.Fhir(r.Json))));
            if (page.Resources.Count < PageSize)
            {
                return events;
            }
        }
    }

    private static string? RecipientOf(AuditEvent.AgentComponent agent) =>
        FhirReferences.NormaliseLiteral(agent.Who?.Reference)
        ?? (agent.Who?.Identifier is { Value.Length: > 0 } identifier ? $"{identifier.System}|{identifier.Value}" : null);
}
