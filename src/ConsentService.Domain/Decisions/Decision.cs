namespace ConsentService.Domain.Decisions;

public enum Verdict
{
    Deny,
    Permit,
}

public enum DecisionBasis
{
    /// <summary>A consent spoke to the request and decided.</summary>
    Consent,

    /// <summary>No consent spoke; the default policy decided.</summary>
    Policy,
}

/// <summary>
/// A short human sentence explaining one step. <see cref="QuotesConsent"/> marks sentences that name a consent
/// or repeat its content, so vendor-facing answers can drop them (one consent id seen across studies links them).
/// </summary>
public sealed record Reason(string Text, bool QuotesConsent);

/// <summary>Something the recipient must do with the images before using them.</summary>
public sealed record Obligation(string System, string Code, string Display);

/// <summary>The engine's answer.</summary>
public sealed record Decision(
    Verdict Verdict,
    DecisionBasis Basis,
    string? ConsentId,
    string? ConsentVersion,
    string? ProvisionPath,
    IReadOnlyList<Reason> Reasons,
    IReadOnlyList<Obligation> Obligations,
    string PolicyId,
    string PolicyVersion)
{
    /// <summary>"Consent/&lt;id&gt;/_history/&lt;version&gt;" when a consent decided, otherwise null.</summary>
    public string? ConsentReference => ConsentId is null ? null : $"Consent/{ConsentId}/_history/{ConsentVersion}";
}
