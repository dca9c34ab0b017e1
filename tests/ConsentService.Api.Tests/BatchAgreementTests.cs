using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hl7.Fhir.Model;

namespace ConsentService.Api.Tests;

/// <summary>Property: on generated patients, consents and studies, a batch answers exactly what single decisions
/// answer for each of its studies (decision, basis, consent version, provision path, reasons, obligations).</summary>
public sealed class BatchAgreementTests(ConsentServiceFactory factory) : IClassFixture<ConsentServiceFactory>
{
    private static readonly string[] Actors = ["Organization/acme-ai", "Organization/other-ai", "Organization/third-ai"];
    private static readonly string[] Purposes = ["MLTRAINING", "HOPERAT", "HRESCH", "TRAIN"];
    private static readonly (string Modality, string? BodySite)[] Studies =
        [("CT", "69536005"), ("MR", "12738006"), ("CR", "51185008"), ("CT", null), ("US", "818983003"), ("PT", "45048000")];

    [Theory]
    [InlineData(11)]
    [InlineData(2024)]
    public async System.Threading.Tasks.Task Batch_and_single_decisions_agree(int seed)
    {
        var random = new Random(seed);
        var client = factory.FhirClient();
        var uids = new List<string>();
        for (var p = 0; p < 12; p++)
        {
            var patient = TestData.NewId();
            for (var s = 0; s < random.Next(1, 4); s++)
            {
                var (modality, bodySite) = Studies[random.Next(Studies.Length)];
                var uid = TestData.NewUid();
                await client.CreateAsync(TestData.Study(patient, uid, modality, bodySite, $"20{random.Next(15, 26)}-0{random.Next(1, 10)}-10T10:00:00Z"));
                uids.Add(uid);
            }
            for (var c = 0; c < random.Next(0, 3); c++)
            {
                await client.CreateAsync(RandomConsent(random, patient, c));
            }
        }
        uids.Add("1.2.3.4.5.404"); // unknown in the batch; a 404 when asked singly

        using var http = factory.CreateClient();
        var seen = new HashSet<string>();
        foreach (var actor in Actors)
        {
            var purpose = Purposes[random.Next(Purposes.Length)];
            var batch = await PostAsync(http, "/api/v1/decisions/batch", new { studies = uids, actor, purpose = new { code = purpose } });
            var results = batch["results"]!.AsArray();
            Assert.Equal(uids.Count, results.Count);
            for (var i = 0; i < uids.Count; i++)
            {
                var fromBatch = results[i]!;
                seen.Add($"{fromBatch["decision"]}/{fromBatch["basis"]}");
                Assert.Equal(uids[i], (string?)fromBatch["study"]);
                if ((string?)fromBatch["basis"] == "unknown-study")
                {
                    var single404 = await http.PostAsync("/api/v1/decisions", Json(new { study = uids[i], actor, purpose = new { code = purpose } }));
                    Assert.Equal(System.Net.HttpStatusCode.NotFound, single404.StatusCode);
                    continue;
                }
                var single = await PostAsync(http, "/api/v1/decisions", new { study = uids[i], actor, purpose = new { code = purpose } });
                foreach (var field in new[] { "decision", "basis", "consent", "provisionPath", "imagingStudy", "reasons", "obligations", "policy", "purpose", "action" })
                {
                    Assert.Equal(fromBatch[field]?.ToJsonString(), single[field]?.ToJsonString());
                }
                Assert.NotEqual((string?)fromBatch["decisionId"], (string?)single["decisionId"]);
            }
        }
        // The generated data must exercise both verdicts decided by consents, or the property proves little.
        Assert.Contains("permit/consent", seen);
        Assert.Contains("deny/consent", seen);
    }

    private static Consent RandomConsent(Random random, string patient, int index)
    {
        var consent = TestData.Consent(patient, random.Next(3) == 0 ? "OPTOUT" : "OPTIN",
            random.Next(4) == 0 ? null : Purposes[random.Next(Purposes.Length)], $"202{index + 3}-0{random.Next(1, 10)}-01T00:00:00Z");
        consent.Provision!.Actor.Clear();
        if (random.Next(2) == 0)
        {
            consent.Provision.Actor.Add(new Consent.provisionActorComponent
            {
                Role = new CodeableConcept("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "IRCP"),
                Reference = new ResourceReference(Actors[random.Next(Actors.Length)]),
            });
        }
        consent.Provision.Period = null;
        for (var e = 0; e < random.Next(0, 3); e++)
        {
            var exception = new Consent.provisionComponent
            {
                Type = random.Next(2) == 0 ? Consent.ConsentProvisionType.Deny : Consent.ConsentProvisionType.Permit,
            };
            switch (random.Next(3))
            {
                case 0:
                    exception.Code = [new CodeableConcept("http://dicom.nema.org/resources/ontology/DCM", Studies[random.Next(Studies.Length)].Modality)];
                    break;
                case 1:
                    exception.Code = [new CodeableConcept("http://snomed.info/sct", "69536005")];
                    break;
                default:
                    exception.Actor.Add(new Consent.provisionActorComponent
                    {
                        Role = new CodeableConcept("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "IRCP"),
                        Reference = new ResourceReference(Actors[random.Next(Actors.Length)]),
                    });
                    break;
            }
            if (random.Next(2) == 0)
            {
                exception.Purpose = [new Coding(TestData.ActReason, Purposes[random.Next(Purposes.Length)])];
            }
            consent.Provision.Provision.Add(exception);
        }
        return consent;
    }

    private static StringContent Json(object body) => new(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");

    private static async Task<JsonNode> PostAsync(HttpClient http, string path, object body)
    {
        var response = await http.PostAsync(path, Json(body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!;
    }
}
