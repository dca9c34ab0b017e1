using ConsentService.Domain.Decisions;
using ConsentService.Domain.Policies;

namespace ConsentService.Application.Decisions;

/// <summary>What decisions are made with: the default policy in force and the engine (with its face-bearing rule).
/// Built from the validated <c>Decisions</c> options at start.</summary>
public sealed record DecisionSettings(DefaultPolicy Policy, DecisionEngine Engine)
{
    public static DecisionSettings Default { get; } = new(DefaultPolicy.OptIn, DecisionEngine.Default);
}
