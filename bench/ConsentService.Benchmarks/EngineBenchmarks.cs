using BenchmarkDotNet.Attributes;
using ConsentService.Domain.Consents;
using ConsentService.Domain.Decisions;
using ConsentService.Domain.Fhir;
using ConsentService.Domain.Policies;
using ConsentService.Domain.Studies;
using Hl7.Fhir.Model;

namespace ConsentService.Benchmarks;

/// <summary>
/// One decision by the pure engine, on consents compiled once in setup (as the service does at write time):
/// the cost of the hot path without HTTP, store or audit.
/// </summary>
[MemoryDiagnoser]
public class EngineBenchmarks
{
    private const string Patient = "Patient/bench-p1";
    private const string Vendor = "Organization/vendor-a";
    private const string OtherVendor = "Organization/vendor-b";
    private static readonly DateTimeOffset Instant = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly DecisionEngine engine = DecisionEngine.Default;
    private readonly DecisionRequest request = new(Vendor);
    private StudyFacts study = null!;
    private CompiledConsent[] shallow = null!;
    private CompiledConsent[] deep = null!;

    [GlobalSetup]
    public void Setup()
    {
        // A chest CT of the lung: not face-bearing, so a permit carries only the de-identification obligation.
        study = new StudyFacts(
            id: "s1",
            uid: "1.2.826.0.1.3680043.8.498.1",
            patientReference: Patient,
            patientIdentifierKeys: [],
            modalityKeys: [CodeKey.Of(CodeSystems.Dicom, "CT")],
            bodySiteKeys: [CodeKey.Of(CodeSystems.Snomed, "39607008")],
            procedureCodeKeys: [],
            started: new DateTimeOffset(2025, 3, 1, 10, 0, 0, TimeSpan.Zero),
            securityLabelKeys: []);
        shallow = [Compile(ShallowConsent(), "shallow")];
        deep = [Compile(DeepConsent(), "deep")];
        Check(Shallow(), Verdict.Permit, "provision");
        Check(Deep5(), Verdict.Deny, "provision.provision[1].provision[1].provision[1].provision[1].provision[1]");
        Check(NoConsent(), Verdict.Deny, null);
    }

    /// <summary>Opt-in consent whose root permits MLTRAINING for one vendor.</summary>
    [Benchmark(Baseline = true, Description = "shallow")]
    public Decision Shallow() => engine.Decide(request, study, shallow, DefaultPolicy.OptIn, Instant);

    /// <summary>Five levels of nested exceptions under the root, alternating deny/permit, each level with a
    /// non-matching sibling before the matching one.</summary>
    [Benchmark(Description = "deep5")]
    public Decision Deep5() => engine.Decide(request, study, deep, DefaultPolicy.OptIn, Instant);

    /// <summary>No consent for the patient: the default policy answers.</summary>
    [Benchmark(Description = "no-consent")]
    public Decision NoConsent() => engine.Decide(request, study, [], DefaultPolicy.OptIn, Instant);

    private static Consent ShallowConsent() => NewConsent(Provision(Consent.ConsentProvisionType.Permit, purpose: "MLTRAINING", actor: Vendor));

    private static Consent DeepConsent()
    {
        // Innermost first: level 5 deny (action use), level 4 permit (CT), level 3 deny (lung), level 2 permit
        // (vendor), level 1 deny (thorax). Every level matches the chest CT, so the answer comes from level 5.
        Coding thorax = new(CodeSystems.Snomed, "51185008"), lung = new(CodeSystems.Snomed, "39607008"),
            ct = new(CodeSystems.Dicom, "CT"), mr = new(CodeSystems.Dicom, "MR"), head = new(CodeSystems.Snomed, "69536005");
        var level5 = Provision(Consent.ConsentProvisionType.Deny, action: "use");
        var level4 = Provision(Consent.ConsentProvisionType.Permit, purpose: "MLTRAINING", code: ct,
            exceptions: [Provision(Consent.ConsentProvisionType.Deny, actor: OtherVendor), level5]);
        var level3 = Provision(Consent.ConsentProvisionType.Deny, code: lung,
            exceptions: [Provision(Consent.ConsentProvisionType.Permit, purpose: "MLTRAINING", code: mr), level4]);
        var level2 = Provision(Consent.ConsentProvisionType.Permit, purpose: "MLTRAINING", actor: Vendor,
            exceptions: [Provision(Consent.ConsentProvisionType.Deny, code: head), level3]);
        var level1 = Provision(Consent.ConsentProvisionType.Deny, code: thorax,
            exceptions: [Provision(Consent.ConsentProvisionType.Permit, purpose: "MLTRAINING", actor: OtherVendor), level2]);
        var root = Provision(Consent.ConsentProvisionType.Permit, purpose: "MLTRAINING",
            exceptions: [Provision(Consent.ConsentProvisionType.Deny, purpose: "HRESCH"), level1]);
        return NewConsent(root);
    }

    private static Consent.provisionComponent Provision(
        Consent.ConsentProvisionType type, string? purpose = null, string? actor = null, Coding? code = null, string? action = null,
        Consent.provisionComponent[]? exceptions = null)
    {
        var p = new Consent.provisionComponent { Type = type };
        if (purpose is not null) p.Purpose.Add(new Coding(CodeSystems.ActReason, purpose));
        if (actor is not null) p.Actor.Add(new Consent.provisionActorComponent { Reference = new ResourceReference(actor) });
        if (code is not null) p.Code.Add(new CodeableConcept { Coding = [code] });
        if (action is not null) p.Action.Add(new CodeableConcept(CodeSystems.ConsentAction, action));
        p.Provision.AddRange(exceptions ?? []);
        return p;
    }

    private static Consent NewConsent(Consent.provisionComponent root) => new()
    {
        Status = Consent.ConsentState.Active,
        Scope = new CodeableConcept(CodeSystems.ConsentScope, "patient-privacy"),
        Patient = new ResourceReference(Patient),
        DateTime = "2025-01-01",
        PolicyRule = new CodeableConcept(CodeSystems.ActCode, "OPTIN"),
        Provision = root,
    };

    private static CompiledConsent Compile(Consent consent, string id) =>
        ConsentCompiler.Compile(consent, id, "1", new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));

    // A benchmark of the wrong branch measures nothing useful: the setup refuses to run one.
    private static void Check(Decision decision, Verdict verdict, string? path)
    {
        if (decision.Verdict != verdict || decision.ProvisionPath != path)
            throw new InvalidOperationException(
                $"Benchmark fixture decides {decision.Verdict} at '{decision.ProvisionPath}', expected {verdict} at '{path}'.");
    }
}
