using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Hl7.Fhir.Model;

namespace ConsentService.Api.Tests;

/// <summary>
/// Decisions are served from in-process caches of studies and compiled consents (DecisionFacts with the store's
/// WriteStamps). Whatever the write (update, delete, a new consent, a consent or study moved to another patient,
/// a study re-registered, a transaction bundle), a decision asked after the write has returned must rest on it,
/// while other clients keep the cache hot by deciding about the same study all the time.
/// </summary>
public sealed class DecisionCacheTests(ConsentServiceFactory factory) : IClassFixture<ConsentServiceFactory>
{
    private const string Vendor = "Organization/acme-ai";

    private static async Task<(HttpStatusCode Status, string? Decision)> DecideAsync(HttpClient http, string uid)
    {
        var response = await http.PostAsJsonAsync("/api/v1/decisions", new { study = uid, actor = Vendor });
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, (string?)body?["decision"]);
    }

    /// <summary>Runs <paramref name="check"/> while four clients decide about <paramref name="uid"/> without pause.</summary>
    private async System.Threading.Tasks.Task WithHotCacheAsync(string uid, Func<System.Threading.Tasks.Task> check)
    {
        using var stop = new CancellationTokenSource();
        var hammers = Enumerable.Range(0, 4).Select(async _ =>
        {
            using var http = factory.CreateClient();
            while (!stop.IsCancellationRequested)
            {
                await DecideAsync(http, uid);
            }
        }).ToArray();
        try
        {
            await check();
        }
        finally
        {
            await stop.CancelAsync();
            await System.Threading.Tasks.Task.WhenAll(hammers);
        }
    }

    [Fact]
    public async System.Threading.Tasks.Task Consent_updates_and_deletes_are_seen_by_the_next_decision()
    {
        var client = factory.FhirClient();
        var patient = TestData.NewId();
        var uid = TestData.NewUid();
        await client.CreateAsync(TestData.Study(patient, uid));
        var consent = (await client.CreateAsync(TestData.Consent(patient)))!;
        using var http = factory.CreateClient();

        await WithHotCacheAsync(uid, async () =>
        {
            for (var round = 0; round < 20; round++)
            {
                var active = round % 2 == 1;
                consent.Status = active ? Consent.ConsentState.Active : Consent.ConsentState.Inactive;
                consent = (await client.UpdateAsync(consent))!;
                Assert.Equal(active ? "permit" : "deny", (await DecideAsync(http, uid)).Decision);
            }
            await client.DeleteAsync(consent);
            Assert.Equal("deny", (await DecideAsync(http, uid)).Decision);
            // A new consent for a patient the cache knows as having none.
            var renewed = (await client.CreateAsync(TestData.Consent(patient)))!;
            Assert.Equal("permit", (await DecideAsync(http, uid)).Decision);
            // The consent moved to another patient: this patient has none any more.
            renewed.Patient = new ResourceReference($"Patient/{TestData.NewId()}");
            await client.UpdateAsync(renewed);
            Assert.Equal("deny", (await DecideAsync(http, uid)).Decision);
        });
    }

    [Fact]
    public async System.Threading.Tasks.Task Consents_naming_the_patient_by_identifier_are_seen_by_the_next_decision()
    {
        var client = factory.FhirClient();
        var mrn = TestData.NewId();
        var uid = TestData.NewUid();
        var study = TestData.Study(TestData.NewId(), uid);
        study.Subject = new ResourceReference { Identifier = new Identifier("urn:oid:2.16.840.1.113883.19.5", mrn) };
        await client.CreateAsync(study);
        using var http = factory.CreateClient();

        await WithHotCacheAsync(uid, async () =>
        {
            Assert.Equal("deny", (await DecideAsync(http, uid)).Decision);
            var consent = TestData.Consent(TestData.NewId());
            consent.Patient = new ResourceReference { Identifier = new Identifier("urn:oid:2.16.840.1.113883.19.5", mrn) };
            await client.CreateAsync(consent);
            Assert.Equal("permit", (await DecideAsync(http, uid)).Decision);
        });
    }

    [Fact]
    public async System.Threading.Tasks.Task Study_changes_are_seen_by_the_next_decision()
    {
        var client = factory.FhirClient();
        var consenting = TestData.NewId();
        var silent = TestData.NewId();
        var uid = TestData.NewUid();
        var study = (await client.CreateAsync(TestData.Study(consenting, uid)))!;
        await client.CreateAsync(TestData.Consent(consenting));
        using var http = factory.CreateClient();

        await WithHotCacheAsync(uid, async () =>
        {
            Assert.Equal("permit", (await DecideAsync(http, uid)).Decision);
            // The study was filed under the wrong patient: corrected, it rests on the other patient (no consent).
            study.Subject = new ResourceReference($"Patient/{silent}");
            study = (await client.UpdateAsync(study))!;
            Assert.Equal("deny", (await DecideAsync(http, uid)).Decision);
            // Deleted: unknown.
            await client.DeleteAsync(study);
            Assert.Equal(HttpStatusCode.NotFound, (await DecideAsync(http, uid)).Status);
            // Registered again (a new resource, the same UID) under the consenting patient, in a transaction bundle.
            var bundle = new Bundle { Type = Bundle.BundleType.Transaction };
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                FullUrl = "urn:uuid:" + Guid.NewGuid(),
                Resource = TestData.Study(consenting, uid),
                Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = "ImagingStudy" },
            });
            await client.TransactionAsync(bundle);
            Assert.Equal("permit", (await DecideAsync(http, uid)).Decision);
        });
    }
}
