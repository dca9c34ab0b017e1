using ConsentService.Application.Decisions;
using ConsentService.Application.Ports;
using ConsentService.Domain.Fhir;
using FluentValidation;
using Hl7.Fhir.Model;
using MediatR;
using static ConsentService.Application.Audit.AuditEventParts;

namespace ConsentService.Application.Audit;

/// <summary>
/// POST /fhir/AuditEvent: a PACS or export gateway reports that it actually exported a study (a decision is a
/// permission, not a transfer). The event must be a BALP privacy disclosure (IHE.BasicAudit.PrivacyDisclosure.Source:
/// type DCM 110106 Export, subtype iso-21089-lifecycle#disclose) naming the ImagingStudy and the recipient. The
/// service resolves the study, adds its patient as an entity (so the event concerns exactly one patient), gives it
/// an id and appends it to the hash chain.
/// </summary>
public sealed record ReportDisclosureCommand(AuditEvent Event) : IRequest<StoredResource>, Resources.IResourceWriteRequest
{
    /// <summary>Content rules broken are FHIR's 422, as for every resource write.</summary>
    public Resource Resource => Event;
}

public sealed class ReportDisclosureValidator : AbstractValidator<ReportDisclosureCommand>
{
    public ReportDisclosureValidator()
    {
        RuleFor(c => c.Event.Type).Must(t => t?.System == Dcm && t.Code == Export).OverridePropertyName("AuditEvent.type")
            .WithMessage($"A reported disclosure has type {Dcm}#{Export} (Export).");
        RuleFor(c => c.Event.Subtype).Must(s => s.Any(c => c.System == Lifecycle && c.Code == Disclose)).OverridePropertyName("AuditEvent.subtype")
            .WithMessage($"A reported disclosure has subtype {Lifecycle}#{Disclose}.");
        RuleFor(c => c.Event.Agent).Must(agents => agents.Count(IsRecipient) == 1).OverridePropertyName("AuditEvent.agent")
            .WithMessage($"A reported disclosure names exactly one recipient: an agent of type {ParticipationType}#{Recipient} whose who has a reference or an identifier.");
        RuleFor(c => c.Event.Entity).Must(entities => entities.Count(e => StudyOf(e) is not null) == 1).OverridePropertyName("AuditEvent.entity")
            .WithMessage("A reported disclosure names exactly one ImagingStudy: an entity whose what is ImagingStudy/<id> or identifies the study by its DICOM Study Instance UID (system urn:dicom:uid).");
        RuleFor(c => c.Event.Recorded).NotNull().OverridePropertyName("AuditEvent.recorded").WithMessage("recorded is required.");
    }

    public static bool IsRecipient(AuditEvent.AgentComponent agent) =>
        agent.Type?.Coding.Any(c => c.System == ParticipationType && c.Code == Recipient) == true
        && (FhirReferences.NormaliseLiteral(agent.Who?.Reference) is not null || !string.IsNullOrEmpty(agent.Who?.Identifier?.Value));

    /// <summary>The study an entity names, or null.</summary>
    public static StudyReference? StudyOf(AuditEvent.EntityComponent entity)
    {
        var what = entity.What;
        if (what is null) return null;
        if (FhirReferences.TryNormalize(what.Reference, out var type, out var typeAndId))
        {
            return type == "ImagingStudy" && StudyReference.TryParse(typeAndId, out var byId) ? byId : null;
        }
        return what.Identifier is { System: StudyUidKey.DicomUidSystem } identifier && StudyReference.TryParse(identifier.Value, out var byUid) ? byUid : null;
    }
}

public sealed class ReportDisclosureHandler(AuditTrail trail, DecisionFacts facts) : IRequestHandler<ReportDisclosureCommand, StoredResource>
{
    public async Task<StoredResource> Handle(ReportDisclosureCommand request, CancellationToken cancellationToken)
    {
        var audit = request.Event;
        var studyEntity = audit.Entity.First(e => ReportDisclosureValidator.StudyOf(e) is not null);
        var loaded = await facts.StudyAsync(ReportDisclosureValidator.StudyOf(studyEntity)!.Value, null, cancellationToken).ConfigureAwait(false)
            ?? throw new UnprocessableContentException([new ContentIssue("AuditEvent.entity.what", "The ImagingStudy named is not registered with this service.")]);
        var patient = loaded.Facts.PatientReference;
        var named = audit.Entity.Where(e => e.Role?.System == EntityRole && e.Role.Code == "1")
            .Select(e => FhirReferences.NormaliseLiteral(e.What?.Reference)).ToList();
        if (named.Any(p => p != patient))
        {
            throw new UnprocessableContentException([new ContentIssue("AuditEvent.entity", "The patient entity does not match the subject of the ImagingStudy.")]);
        }
        studyEntity.What!.Reference ??= $"ImagingStudy/{loaded.Id}";
        if (named.Count == 0 && patient is not null)
        {
            audit.Entity.Add(PatientEntity(patient));
        }
        audit.Id = NewEventId();
        if (audit.Meta is { } meta)
        {
            meta.VersionId = null;
            meta.LastUpdated = null;
        }
        var record = Record(audit);
        await trail.AppendAsync([record], cancellationToken).ConfigureAwait(false);
        return ReadAuditEventHandler.AsVersion(record);
    }
}
