using ConsentService.Domain.Fhir;

namespace ConsentService.Application.Security;

/// <summary>
/// Who is asking, as the validated access token says: the OAuth client (<c>client_id</c>, else <c>sub</c>), the
/// organisation a vendor token is bound to (<c>actor</c>), the patient a patient-facing token is bound to
/// (<c>patient</c>), and the granted scopes. Built once per request by the API from the token; handlers decide
/// what it may see through <see cref="AccessTo"/> and <see cref="PatientCompartment"/>.
/// </summary>
/// <param name="Actor">"Organization/&lt;id&gt;" when the token binds its holder to one recipient (an AI vendor): such
/// a caller may only ask for decisions, and only as that actor.</param>
/// <param name="Patient">The bare patient id of the token's launch context (SMART <c>patient</c> claim); patient
/// scopes grant access to this patient's compartment only.</param>
public sealed record RequestCaller(string? ClientId, string? Actor, string? Patient, IReadOnlySet<string> Scopes, bool IsAuthenticated)
{
    /// <summary>With a vendor-bound token: the actor's business identifier the token vouches for (claim
    /// <c>actor_identifier</c>, "system|value"); a vendor-bound caller may use no other.</summary>
    public IdentifierKey? ActorIdentifier { get; init; }

    /// <summary>No valid token: nothing but the public endpoints.</summary>
    public static RequestCaller Anonymous { get; } = new(null, null, null, new HashSet<string>(), IsAuthenticated: false);

    /// <summary>The caller the Development environment assumes when no Auth settings are given ("open" mode):
    /// every system scope and the decision scope, bound to nobody.</summary>
    public static RequestCaller DevelopmentOpenAccess { get; } = new("development-open-access", null, null,
        new HashSet<string>(StringComparer.Ordinal) { "system/*.cruds", ScopeNames.Decide }, IsAuthenticated: true);

    /// <summary>The token binds its holder to one recipient organisation (an AI vendor).</summary>
    public bool IsVendorBound => Actor is not null;

    public bool HasScope(string scope) => Scopes.Contains(scope);

    /// <summary>What this caller may do with <paramref name="required"/>: everything (a system or user scope),
    /// only the token's patient's compartment (a patient scope), or nothing (with the reason).</summary>
    public ResourceAccess AccessTo(ResourceScope required)
    {
        ArgumentNullException.ThrowIfNull(required);
        if (!IsAuthenticated)
        {
            return ResourceAccess.Deny("A valid access token is required.");
        }
        if (IsVendorBound)
        {
            return ResourceAccess.Deny("A token bound to a recipient (actor claim) may only ask for decisions; it cannot read or write FHIR resources.");
        }
        var patientGrant = false;
        foreach (var text in Scopes)
        {
            if (!GrantedScope.TryParse(text, out var granted) || !granted.Covers(required))
            {
                continue;
            }
            if (granted.Context != ScopeContext.Patient)
            {
                return ResourceAccess.Full;
            }
            patientGrant = true;
        }
        if (patientGrant && Patient is not null)
        {
            return ResourceAccess.Compartment(Patient);
        }
        return ResourceAccess.Deny(patientGrant
            ? $"The patient scope for {required.ResourceType} needs the token's patient claim."
            : $"This request needs the scope {required} (or a broader one).");
    }

    /// <summary>The scope a request needs, checked: <see cref="ResourceAccess.Full"/> or a compartment, otherwise
    /// <see cref="AccessDeniedException"/>. Handlers call it as a second line behind the endpoint's policy.</summary>
    public ResourceAccess Require(ResourceScope required)
    {
        var access = AccessTo(required);
        return access.IsDenied ? throw new AccessDeniedException(access.Reason!) : access;
    }

    /// <summary>True when <paramref name="required"/> is granted (the decision scope, say).</summary>
    public bool Grants(OperationScope required) => IsAuthenticated && HasScope(required.Scope);
}

/// <summary>The answer of <see cref="RequestCaller.AccessTo"/>.</summary>
/// <param name="Patient">Set when access is limited to this patient's compartment.</param>
/// <param name="Reason">Set when denied: why (no PHI, names scopes only).</param>
public sealed record ResourceAccess(bool IsDenied, string? Patient, string? Reason)
{
    public static ResourceAccess Full { get; } = new(false, null, null);

    public static ResourceAccess Compartment(string patient) => new(false, patient, null);

    public static ResourceAccess Deny(string reason) => new(true, null, reason);

    public bool IsPatientCompartment => Patient is not null;
}

/// <summary>A business identifier as "system|value" from a token claim.</summary>
public sealed record IdentifierKey(string System, string Value)
{
    public static IdentifierKey? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        var bar = text.IndexOf('|', StringComparison.Ordinal);
        return bar > 0 && bar < text.Length - 1 ? new IdentifierKey(text[..bar], text[(bar + 1)..]) : null;
    }
}

/// <summary>Scope names that are not FHIR resource scopes.</summary>
public static class ScopeNames
{
    /// <summary>The decision API: single, batch and cohort decisions.</summary>
    public const string Decide = "ai-training.decide";

    /// <summary>Normalises a token's <c>patient</c> claim ("123" or "Patient/123") to the bare id; null when it is not an id.</summary>
    public static string? PatientId(string? claim)
    {
        if (string.IsNullOrWhiteSpace(claim))
        {
            return null;
        }
        var id = claim.StartsWith("Patient/", StringComparison.Ordinal) ? claim["Patient/".Length..] : claim;
        return FhirReferences.IsId(id) ? id : null;
    }
}

/// <summary>403: the caller is authenticated but may not do this (missing scope, another vendor's actor).</summary>
public sealed class AccessDeniedException(string message) : ServiceException(message);
