using ConsentService.Domain.Fhir;

namespace ConsentService.Domain.Decisions;

/// <summary>
/// "May this actor do this action on the study for this purpose?" The study itself travels separately as
/// <see cref="Studies.StudyFacts"/>. Keys are computed once here, not per provision.
/// </summary>
public sealed class DecisionRequest
{
    public const string DefaultAction = "use";

    public DecisionRequest(
        string actorReference,
        string? actorIdentifierSystem = null,
        string? actorIdentifierValue = null,
        string purposeSystem = CodeSystems.ActReason,
        string purposeCode = "MLTRAINING",
        string action = DefaultAction,
        string actionSystem = CodeSystems.ConsentAction)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(actorReference);
        ArgumentException.ThrowIfNullOrWhiteSpace(purposeCode);
        ArgumentException.ThrowIfNullOrWhiteSpace(action);
        // Fail closed: an actor that cannot be read as Type/id must not reach the matchers as some opaque key.
        ActorReference = FhirReferences.NormaliseLiteral(actorReference)
            ?? throw new ArgumentException($"'{actorReference}' is not a literal reference (Type/id or an absolute URL ending in Type/id).", nameof(actorReference));
        ActorIdentifierKey = FhirReferences.IdentifierKey(actorIdentifierSystem, actorIdentifierValue);
        PurposeSystem = purposeSystem;
        PurposeCode = purposeCode;
        Action = action;
        ActionSystem = actionSystem;
        PurposeKey = CodeKey.Of(purposeSystem, purposeCode);
        ActionKey = CodeKey.Of(actionSystem, action);
    }

    /// <summary>"Organization/&lt;id&gt;" (normalised).</summary>
    public string ActorReference { get; }

    /// <summary>"system|value" of the actor's business identifier, when given.</summary>
    public string? ActorIdentifierKey { get; }

    public string PurposeSystem { get; }
    public string PurposeCode { get; }
    public string Action { get; }
    public string ActionSystem { get; }

    internal string PurposeKey { get; }
    internal string ActionKey { get; }
}
