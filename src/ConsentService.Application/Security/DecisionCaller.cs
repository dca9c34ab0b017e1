using ConsentService.Application.Decisions;
using ConsentService.Domain.Decisions;

namespace ConsentService.Application.Security;

/// <summary>
/// How the caller shapes a decision: which actor it may decide for, and what of the answer it may see.
/// Single, batch and cohort decisions all go through here (in <see cref="DecisionService"/>), so the rules hold
/// in one place.
/// </summary>
public static class DecisionCaller
{
    public const string WithheldReason =
        "A consent of the patient decided; its content is not disclosed to a recipient-bound caller.";

    /// <summary>
    /// The actor (and actor identifier) to decide for. An unbound caller (an integration engine) names any actor.
    /// A vendor-bound caller decides only as its token's actor (taken from the token when the request names
    /// none; naming another is refused) and may use an actor identifier only when the token carries one
    /// (claim <c>actor_identifier</c>): otherwise it could claim another organisation's identifier and match
    /// consents written for that organisation.
    /// </summary>
    public static (string? Actor, IdentifierValue? ActorIdentifier) Bind(RequestCaller caller, string? actor, IdentifierValue? actorIdentifier)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (!caller.Grants(OperationScope.Decide))
        {
            throw new AccessDeniedException($"Decisions need the scope {ScopeNames.Decide}.");
        }
        if (!caller.IsVendorBound)
        {
            return (actor, actorIdentifier);
        }
        if (!DecisionRequestRules.IsOrganizationReference(caller.Actor!))
        {
            throw new AccessDeniedException("The token's actor claim is not an Organization reference, so it may not decide for anyone.");
        }
        if (actor is not null && !string.Equals(actor, caller.Actor, StringComparison.Ordinal))
        {
            throw new AccessDeniedException("This token is bound to another actor; it may decide only for the actor it names.");
        }
        var tokenIdentifier = caller.ActorIdentifier;
        if (actorIdentifier is not null
            && (tokenIdentifier is null || actorIdentifier.System != tokenIdentifier.System || actorIdentifier.Value != tokenIdentifier.Value))
        {
            throw new AccessDeniedException("actorIdentifier must be the one the token carries (claim actor_identifier); this token carries "
                + (tokenIdentifier is null ? "none." : "another."));
        }
        return (caller.Actor, tokenIdentifier is null ? null : new IdentifierValue(tokenIdentifier.System, tokenIdentifier.Value));
    }

    /// <summary>
    /// The answer as this caller may see it. A vendor-bound caller gets the verdict, basis and obligations but no
    /// consent reference, no provision path and no reason that quotes a consent: a consent id or path shared by
    /// many studies would link them to one person. Everyone else gets the full explanation.
    /// </summary>
    public static DecisionResult View(RequestCaller caller, DecisionResult full, IReadOnlyList<Reason> reasons)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(full);
        if (!caller.IsVendorBound)
        {
            return full;
        }
        var visible = reasons.Where(r => !r.QuotesConsent).Select(r => r.Text).ToList();
        if (visible.Count < reasons.Count && full.Basis == DecisionValues.BasisConsent)
        {
            visible.Insert(0, WithheldReason);
        }
        return full with { Consent = null, ProvisionPath = null, Reasons = visible };
    }
}
