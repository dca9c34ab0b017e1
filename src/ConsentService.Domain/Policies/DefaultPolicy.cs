using ConsentService.Domain.Decisions;

namespace ConsentService.Domain.Policies;

/// <summary>What the service answers when no consent speaks (configured under Decisions:DefaultPolicy).</summary>
public sealed record DefaultPolicy(string Id, string Version, Verdict Verdict)
{
    /// <summary>Opt-in: without a consent that says yes, the answer is no. The default.</summary>
    public static DefaultPolicy OptIn { get; } = new("opt-in", "1", Verdict.Deny);

    /// <summary>Opt-out: without a consent that says no, the answer is yes.</summary>
    public static DefaultPolicy OptOut { get; } = new("opt-out", "1", Verdict.Permit);
}
