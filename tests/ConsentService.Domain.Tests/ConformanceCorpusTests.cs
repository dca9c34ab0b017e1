using System.Text.Json;
using System.Text.Json.Nodes;
using ConsentService.Domain.Consents;
using ConsentService.Domain.Decisions;
using ConsentService.Domain.Fhir;
using ConsentService.Domain.Policies;
using ConsentService.Domain.Studies;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace ConsentService.Domain.Tests;

/// <summary>Runs every case file under tests/conformance/cases against the engine (format: tests/conformance/README.md).</summary>
public class ConformanceCorpusTests
{
    internal static readonly string CaseDirectory = Path.Combine(AppContext.BaseDirectory, "conformance", "cases");
    private static readonly FhirJsonDeserializer Fhir = new();

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(CaseDirectory, "*.json").Order(StringComparer.Ordinal))
            data.Add(Path.GetFileNameWithoutExtension(file));
        return data;
    }

    [Fact]
    public void Corpus_has_at_least_sixty_cases() => Assert.True(Cases().Count >= 60, $"only {Cases().Count} cases");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Case_holds(string name)
    {
        var file = JsonNode.Parse(File.ReadAllText(Path.Combine(CaseDirectory, name + ".json")))!.AsObject();
        var request = file["request"]!.AsObject();
        var expected = file["expected"]!.AsObject();

        var studyPoco = Fhir.Deserialize<ImagingStudy>(file["study"]!.ToJsonString());
        var study = StudyFactsExtractor.Extract(studyPoco, studyPoco.Id!);
        var named = request["study"]!.GetValue<string>();
        Assert.True(named == study.IdKey || (StudyUidKey.TryNormalize(named, out var uid) && uid == study.Uid), $"request.study {named} does not name the case's study");

        // Entries are versions in creation order; the last entry per id is the version current at the instant.
        var current = new Dictionary<string, CompiledConsent>(StringComparer.Ordinal);
        foreach (var node in file["consents"]!.AsArray())
        {
            var consent = Fhir.Deserialize<Consent>(node!.ToJsonString());
            current[consent.Id!] = ConsentCompiler.Compile(consent, consent.Id!, consent.Meta!.VersionId!, consent.Meta.LastUpdated);
        }

        var purpose = request["purpose"]?.AsObject();
        var actorIdentifier = request["actorIdentifier"]?.AsObject();
        var decisionRequest = new DecisionRequest(
            request["actor"]!.GetValue<string>(),
            actorIdentifier?["system"]?.GetValue<string>(),
            actorIdentifier?["value"]?.GetValue<string>(),
            purpose?["system"]?.GetValue<string>() ?? CodeSystems.ActReason,
            purpose?["code"]?.GetValue<string>() ?? "MLTRAINING",
            request["action"]?.GetValue<string>() ?? DecisionRequest.DefaultAction);
        var at = request["at"] is { } instant ? DateTimeOffset.Parse(instant.GetValue<string>()) : DateTimeOffset.UtcNow;
        var policy = file["defaultPolicy"]?.GetValue<string>() == "opt-out" ? DefaultPolicy.OptOut : DefaultPolicy.OptIn;

        var decision = DecisionEngine.Default.Decide(decisionRequest, study, current.Values.ToList(), policy, at);

        var because = string.Join(" | ", decision.Reasons.Select(r => r.Text));
        Assert.True(expected["decision"]!.GetValue<string>() == (decision.Verdict == Verdict.Permit ? "permit" : "deny"), because);
        Assert.Equal(expected["basis"]!.GetValue<string>(), decision.Basis == DecisionBasis.Consent ? "consent" : "policy");
        Assert.Equal(expected["consent"]?.GetValue<string>(), decision.ConsentReference);
        Assert.Equal(expected["provisionPath"]?.GetValue<string>(), decision.ProvisionPath);
        Assert.Equal(expected["obligations"]!.AsArray().Select(o => o!.GetValue<string>()), decision.Obligations.Select(o => o.Code));
        Assert.Equal(policy.Id, decision.PolicyId);
    }
}
