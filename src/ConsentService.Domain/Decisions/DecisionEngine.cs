using ConsentService.Domain.Consents;
using ConsentService.Domain.Policies;
using ConsentService.Domain.Studies;
using ConsentService.Domain.Terminology;

namespace ConsentService.Domain.Decisions;

/// <summary>
/// The one decision function: request, study facts, the patient's candidate consents, the default policy and the
/// instant in; a <see cref="Decision"/> out. No I/O, no clock, no container; it only reads compiled structures.
/// </summary>
public sealed class DecisionEngine(FaceBearingRule faceBearing)
{
    private const int StackLimit = 64;

    public static DecisionEngine Default { get; } = new(FaceBearingRule.Default);

    private static readonly Reason SiblingConflict = new("Matching sibling exceptions disagreed; deny wins.", QuotesConsent: true);
    private static readonly Reason FaceBearingReason = new(
        "The study is face-bearing (CT, MR or PT of head, brain, face or neck, or with no body site), so it must be defaced.", QuotesConsent: false);

    public Decision Decide(
        DecisionRequest request,
        StudyFacts study,
        IReadOnlyList<CompiledConsent> candidates,
        DefaultPolicy policy,
        DateTimeOffset instant)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(policy);

        var reasons = new List<Reason>(4);
        var count = candidates.Count;
        Span<int> order = count <= StackLimit ? stackalloc int[count] : new int[count];
        var eligible = 0;
        for (var i = 0; i < count; i++)
        {
            var consent = candidates[i];
            if (!consent.BelongsToPatientOf(study)) continue;
            if (!consent.IsActive) { reasons.Add(consent.InactiveReason); continue; }
            if (!consent.GovernsSecondaryUse) { reasons.Add(consent.ScopeReason); continue; }
            // An unreadable root period does not exclude the consent: its root provision then applies only as a deny.
            if (consent.RootPeriod is { IsUnreadable: false } period && !period.Contains(instant)) { reasons.Add(consent.OutOfPeriodReason); continue; }
            order[eligible++] = i;
        }
        order = order[..eligible];
        SortNewestFirst(order, candidates);

        foreach (var index in order)
        {
            var consent = candidates[index];
            if (!consent.Root.Applies(request, study, instant))
            {
                reasons.Add(consent.SilentReason);
                continue;
            }
            reasons.Add(consent.SpeaksReason);
            if (consent.BaseAnswer is null)
                return Build(Verdict.Deny, DecisionBasis.Consent, consent, consent.Root.Path, reasons, study, policy);
            var outcome = Resolve(consent.Root, request, study, instant);
            AddPathReasons(outcome.Node, reasons);
            if (outcome.Conflict) reasons.Add(SiblingConflict);
            return Build(outcome.Node.Answer, DecisionBasis.Consent, consent, outcome.Node.Path, reasons, study, policy);
        }

        reasons.Add(new Reason(
            $"No consent of this patient speaks to this request; the default policy {policy.Id} (version {policy.Version}) answers {CompiledConsent.Word(policy.Verdict)}.",
            QuotesConsent: false));
        return Build(policy.Verdict, DecisionBasis.Policy, null, null, reasons, study, policy);
    }

    private readonly record struct Outcome(CompiledProvision Node, bool Conflict);

    /// <summary>
    /// Rule 6: a matching exception replaces its parent's answer with its own, recursively; among matching
    /// siblings a deny wins over a permit.
    /// </summary>
    private static Outcome Resolve(CompiledProvision node, DecisionRequest request, StudyFacts study, DateTimeOffset instant)
    {
        Outcome? deny = null, permit = null;
        var conflict = false;
        foreach (var child in node.ExceptionArray)
        {
            if (!child.Applies(request, study, instant)) continue;
            var result = Resolve(child, request, study, instant);
            conflict |= result.Conflict;
            if (result.Node.Answer == Verdict.Deny) deny ??= result;
            else permit ??= result;
        }
        if (deny is { } d) return d with { Conflict = conflict || permit is not null };
        if (permit is { } p) return p with { Conflict = conflict };
        return new Outcome(node, conflict);
    }

    private static void AddPathReasons(CompiledProvision node, List<Reason> reasons)
    {
        var start = reasons.Count;
        for (var p = node; p.Parent is not null; p = p.Parent) reasons.Add(p.AppliesReason);
        reasons.Reverse(start, reasons.Count - start);
    }

    private Decision Build(
        Verdict verdict,
        DecisionBasis basis,
        CompiledConsent? consent,
        string? path,
        List<Reason> reasons,
        StudyFacts study,
        DefaultPolicy policy)
    {
        var obligations = Obligations.None;
        if (verdict == Verdict.Permit)
        {
            if (faceBearing.IsFaceBearing(study))
            {
                obligations = Obligations.ForFaceBearingPermit;
                reasons.Add(FaceBearingReason);
            }
            else
            {
                obligations = Obligations.ForPermit;
            }
        }
        return new Decision(verdict, basis, consent?.Id, consent?.VersionId, path, reasons, obligations, policy.Id, policy.Version);
    }

    /// <summary>Newest Consent.dateTime first; ties by latest meta.lastUpdated, then by id for determinism.</summary>
    private static void SortNewestFirst(Span<int> order, IReadOnlyList<CompiledConsent> candidates)
    {
        for (var i = 1; i < order.Length; i++)
        {
            var current = order[i];
            var j = i - 1;
            while (j >= 0 && Newer(candidates[current], candidates[order[j]]))
            {
                order[j + 1] = order[j];
                j--;
            }
            order[j + 1] = current;
        }
    }

    private static bool Newer(CompiledConsent a, CompiledConsent b)
    {
        var byDate = Nullable.Compare(a.DateTime, b.DateTime);
        if (byDate != 0) return byDate > 0;
        var byUpdate = Nullable.Compare(a.LastUpdated, b.LastUpdated);
        if (byUpdate != 0) return byUpdate > 0;
        return string.CompareOrdinal(a.Id, b.Id) < 0;
    }
}
