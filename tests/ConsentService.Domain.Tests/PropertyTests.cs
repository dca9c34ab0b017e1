using ConsentService.Domain.Consents;
using ConsentService.Domain.Decisions;
using ConsentService.Domain.Policies;
using ConsentService.Domain.Studies;
using Hl7.Fhir.Model;
using static ConsentService.Domain.Tests.Fixtures;

namespace ConsentService.Domain.Tests;

/// <summary>Properties over seeded random consents and studies (hand-rolled generator, reproducible by seed).</summary>
public class PropertyTests
{
    private const int Runs = 400;
    private static readonly string[] Purposes = ["MLTRAINING", "HOPERAT", "TRAIN", "HRESCH", "PurposeOfUse", "SYSDEV"];
    private static readonly string[] Actors = [VendorA, VendorB];
    private static readonly Coding[] Codes = [Modality("CT"), Modality("MR"), Snomed("69536005"), Snomed("12738006"), Snomed("51185008")];
    private static readonly string?[] Sites = ["12738006", "69536005", "51185008", "39607008", null];
    private static readonly string[] Modalities = ["CT", "MR", "CR", "PT"];

    private sealed class Generator(int seed)
    {
        private readonly Random _random = new(seed);

        public T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];
        public bool Chance(int percent) => _random.Next(100) < percent;

        public Consent.provisionComponent Provision(int depth, bool root)
        {
            var p = new Consent.provisionComponent();
            if (!root && Chance(85)) p.Type = Chance(50) ? Consent.ConsentProvisionType.Permit : Consent.ConsentProvisionType.Deny;
            if (Chance(root ? 80 : 45))
                for (var i = _random.Next(1, 3); i > 0; i--) p.Purpose.Add(new Coding(Fhir.CodeSystems.ActReason, Pick(Purposes)));
            if (Chance(30)) p.Actor.Add(new Consent.provisionActorComponent { Reference = new ResourceReference(Pick(Actors)) });
            if (Chance(30)) p.Code.Add(new CodeableConcept { Coding = [Pick(Codes)] });
            if (Chance(15)) p.DataPeriod = new Period { Start = "2022-01-01" };
            if (depth < 3)
                for (var i = _random.Next(0, 3); i > 0; i--) p.Provision.Add(Provision(depth + 1, root: false));
            return p;
        }

        public Consent NewRandomConsent()
        {
            var permit = Chance(50);
            return NewConsent(permit ? "OPTIN" : "OPTOUT", Provision(0, root: true), dateTime: $"2024-0{_random.Next(1, 10)}-01");
        }

        public StudyFacts Study() => Fixtures.Study(Pick(Modalities), Pick(Sites), Chance(85) ? "2023-02-02" : null);

        public DecisionRequest Request() => Fixtures.Request(Pick(Actors), Chance(80) ? "MLTRAINING" : Pick(Purposes));

        public int Next(int max) => _random.Next(max);
    }

    private static List<(Consent.provisionComponent Node, List<Consent.provisionComponent> Ancestors)> Nodes(Consent consent)
    {
        var result = new List<(Consent.provisionComponent, List<Consent.provisionComponent>)>();
        void Walk(Consent.provisionComponent node, List<Consent.provisionComponent> ancestors)
        {
            result.Add((node, ancestors));
            foreach (var child in node.Provision) Walk(child, [.. ancestors, node]);
        }
        Walk(consent.Provision!, []);
        return result;
    }

    private static Decision Decide(Consent consent, StudyFacts study, DecisionRequest request) =>
        DecisionEngine.Default.Decide(request, study, [Compile(consent)], DefaultPolicy.OptIn, Now);

    /// <summary>The answer a provision gives: its own type, else its parent's; the root's is the base answer.</summary>
    private static bool IsPermitAnswer(Consent consent, Consent.provisionComponent node, List<Consent.provisionComponent> ancestors)
    {
        var chain = ancestors.Append(node).Skip(1);
        var answer = consent.PolicyRule!.Coding[0].Code == "OPTIN";
        foreach (var p in chain)
            if (p.Type is { } t) answer = t == Consent.ConsentProvisionType.Permit;
        return answer;
    }

    /// <summary>
    /// For each seed whose random single-consent decision is deny: let <paramref name="mutate"/> change a copy of the
    /// consent (returning false when nothing fit), then assert the answer is still deny. Returns how many ran.
    /// </summary>
    private static int CheckStaysDeny(int runs, Func<Generator, Consent, bool> mutate)
    {
        var exercised = 0;
        for (var seed = 0; seed < runs; seed++)
        {
            var g = new Generator(seed);
            var consent = g.NewRandomConsent();
            var study = g.Study();
            var request = g.Request();
            if (Decide(consent, study, request).Verdict != Verdict.Deny) continue;
            var changed = (Consent)consent.DeepCopy();
            if (!mutate(g, changed)) continue;
            exercised++;
            Assert.True(Decide(changed, study, request).Verdict == Verdict.Deny, $"seed {seed}");
        }
        return exercised;
    }

    [Fact]
    public void Adding_a_deny_exception_never_turns_a_deny_into_a_permit()
    {
        var exercised = CheckStaysDeny(Runs, (g, changed) =>
        {
            var nodes = Nodes(changed);
            var extra = g.Provision(3, root: false);
            extra.Type = Consent.ConsentProvisionType.Deny;
            nodes[g.Next(nodes.Count)].Node.Provision.Add(extra);
            return true;
        });
        Assert.True(exercised > 50, $"too few deny cases exercised ({exercised})");
    }

    [Fact]
    public void Removing_a_purpose_from_a_permit_never_creates_a_permit()
    {
        // Scope, as the semantics allow it (docs/decisions.md): one consent, opt-in policy, the permit keeps at least
        // one purpose, and no ancestor of it answers permit (under a permit, a permit that stops matching hands the
        // decision back to the permit above it).
        var exercised = CheckStaysDeny(Runs * 3, (g, changed) =>
        {
            var eligible = Nodes(changed)
                .Where(n => n.Node.Purpose.Count >= 2 && IsPermitAnswer(changed, n.Node, n.Ancestors)
                    && n.Ancestors.Select((a, i) => (a, i)).All(x => !IsPermitAnswer(changed, x.a, n.Ancestors.Take(x.i).ToList())))
                .ToList();
            if (eligible.Count == 0) return false;
            var target = eligible[g.Next(eligible.Count)].Node;
            target.Purpose.RemoveAt(g.Next(target.Purpose.Count));
            return true;
        });
        Assert.True(exercised > 20, $"too few cases exercised ({exercised})");
    }

    [Fact]
    public void Emptying_the_purposes_of_a_permit_whose_ancestors_state_none_never_creates_a_permit()
    {
        var exercised = CheckStaysDeny(Runs * 3, (g, changed) =>
        {
            var eligible = Nodes(changed)
                .Where(n => n.Node.Purpose.Count > 0 && n.Ancestors.All(a => a.Purpose.Count == 0) && IsPermitAnswer(changed, n.Node, n.Ancestors))
                .ToList();
            if (eligible.Count == 0) return false;
            eligible[g.Next(eligible.Count)].Node.Purpose.Clear();
            return true;
        });
        Assert.True(exercised > 20, $"too few cases exercised ({exercised})");
    }

    [Fact]
    public void The_engine_is_deterministic_and_ignores_candidate_order()
    {
        for (var seed = 0; seed < Runs; seed++)
        {
            var g = new Generator(seed);
            var consents = Enumerable.Range(0, 1 + g.Next(4)).Select(i => Compile(g.NewRandomConsent(), $"c{i}")).ToList();
            var study = g.Study();
            var request = g.Request();
            var policy = g.Chance(50) ? DefaultPolicy.OptIn : DefaultPolicy.OptOut;
            var first = DecisionEngine.Default.Decide(request, study, consents, policy, Now);
            var again = DecisionEngine.Default.Decide(request, study, consents, policy, Now);
            var reversed = DecisionEngine.Default.Decide(request, study, consents.AsEnumerable().Reverse().ToList(), policy, Now);
            foreach (var other in new[] { again, reversed })
            {
                Assert.Equal(first.Verdict, other.Verdict);
                Assert.Equal(first.ConsentReference, other.ConsentReference);
                Assert.Equal(first.ProvisionPath, other.ProvisionPath);
                Assert.Equal(first.Obligations, other.Obligations);
            }
            Assert.Equal(first.Reasons, again.Reasons);
        }
    }
}
