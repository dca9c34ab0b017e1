using ConsentService.Application.Audit;
using ConsentService.Domain.Fhir;
using ConsentService.Domain.Terminology;
using FluentValidation;

namespace ConsentService.Application.Decisions;

/// <summary>Rules shared by single and batch decision requests; locations are the JSON field names. <c>actor</c> may
/// be left out only by a vendor-bound caller (its token names the actor); everyone else must send it.</summary>
internal static class DecisionRequestRules
{
    /// <summary>The consentaction codes (http://terminology.hl7.org/CodeSystem/consentaction).</summary>
    public static readonly HashSet<string> Actions = new(StringComparer.Ordinal) { "collect", "access", "use", "disclose", "correct" };

    public static void Apply<T>(AbstractValidator<T> validator, Func<T, string?> actor, Func<T, IdentifierValue?> actorIdentifier,
        Func<T, PurposeCoding?> purpose, Func<T, string?> action, Func<T, DateTimeOffset?> at, TimeProvider clock, Func<T, bool> actorOptional)
    {
        validator.RuleFor(r => actorIdentifier(r))
            .Must(i => i is null || (!string.IsNullOrWhiteSpace(i.System) && !string.IsNullOrWhiteSpace(i.Value)))
            .WithMessage("actorIdentifier needs both a system and a value.")
            .OverridePropertyName("actorIdentifier");
        validator.RuleFor(r => actor(r))
            .Must((r, a) => a is null ? actorOptional(r) : IsOrganizationReference(a))
            .WithMessage("actor must be an Organization reference such as \"Organization/acme-ai\".")
            .OverridePropertyName("actor");
        validator.RuleFor(r => purpose(r))
            .Must(p => p is null || (!string.IsNullOrWhiteSpace(p.Code) && PurposeHierarchy.Default.IsKnown(p.System ?? CodeSystems.ActReason, p.Code!)))
            .WithMessage("purpose must be a v3-ActReason purpose of use this service knows (e.g. MLTRAINING).")
            .OverridePropertyName("purpose");
        validator.RuleFor(r => action(r))
            .Must(a => a is null || Actions.Contains(a))
            .WithMessage("action must be a consentaction code: collect, access, use, disclose or correct.")
            .OverridePropertyName("action");
        validator.RuleFor(r => at(r))
            .Must(t => t is null || t.Value <= clock.GetUtcNow())
            .WithMessage("at must not be in the future: decisions are made on what was recorded.")
            .OverridePropertyName("at");
    }

    internal static bool IsOrganizationReference(string reference) =>
        reference.StartsWith("Organization/", StringComparison.Ordinal)
        && FhirReferences.IsId(reference.AsSpan("Organization/".Length));
}

public sealed class DecideValidator : AbstractValidator<DecideCommand>
{
    public DecideValidator(TimeProvider clock, IRequestCallerAccessor callers)
    {
        RuleFor(c => c.Query.Study)
            .Must(s => StudyReference.TryParse(s, out _))
            .WithMessage("study must be a DICOM Study Instance UID (bare or urn:oid:) or ImagingStudy/<id>.")
            .OverridePropertyName("study");
        DecisionRequestRules.Apply(this, c => c.Query.Actor, c => c.Query.ActorIdentifier, c => c.Query.Purpose, c => c.Query.Action, c => c.Query.At, clock,
            _ => callers.Caller.IsVendorBound);
    }
}

public sealed class DecideBatchValidator : AbstractValidator<DecideBatchCommand>
{
    public const int MaxStudies = 10_000;

    public DecideBatchValidator(TimeProvider clock, IRequestCallerAccessor callers)
    {
        RuleFor(c => c.Query.Studies)
            .Must(s => s is { Count: > 0 })
            .WithMessage("studies must list at least one study.")
            .OverridePropertyName("studies");
        RuleFor(c => c.Query.Studies)
            .Must(s => s is null || s.Count <= MaxStudies)
            .WithMessage($"studies may list at most {MaxStudies} studies.")
            .OverridePropertyName("studies");
        RuleFor(c => c.Query).Custom((query, context) =>
        {
            if (query.Studies is not { Count: <= MaxStudies } studies)
            {
                return;
            }
            for (var i = 0; i < studies.Count; i++)
            {
                if (!StudyReference.TryParse(studies[i], out _))
                {
                    context.AddFailure($"studies[{i}]", "Each study must be a DICOM Study Instance UID (bare or urn:oid:) or ImagingStudy/<id>.");
                }
            }
        });
        DecisionRequestRules.Apply(this, c => c.Query.Actor, c => c.Query.ActorIdentifier, c => c.Query.Purpose, c => c.Query.Action, c => c.Query.At, clock,
            _ => callers.Caller.IsVendorBound);
    }
}
