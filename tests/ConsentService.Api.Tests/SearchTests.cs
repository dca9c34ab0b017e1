using System.Net;
using System.Net.Http.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;

namespace ConsentService.Api.Tests;

/// <summary>Searches through the real pipeline, each scoped to data the test created (patient ids are fresh).</summary>
public sealed class SearchTests(ConsentServiceFactory factory) : IClassFixture<ConsentServiceFactory>
{
    private async Task<(string Patient, string OptIn, string OptOut)> SeedAsync(FhirClient client)
    {
        var patient = TestData.NewId();
        var optIn = await client.CreateAsync(TestData.Consent(patient, "OPTIN", "MLTRAINING", "2024-03-10T09:00:00Z"));
        var optOutConsent = TestData.Consent(patient, "OPTOUT", "HRESCH", "2025-07-01T09:00:00Z");
        optOutConsent.Provision!.Actor[0].Reference = new ResourceReference("Organization/other-vendor");
        optOutConsent.Provision.SecurityLabel = [new Coding("http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "R")];
        optOutConsent.Provision.Data = [new Consent.provisionDataComponent { Meaning = Consent.ConsentDataMeaning.Instance, Reference = new ResourceReference("ImagingStudy/abc") }];
        optOutConsent.Scope = new CodeableConcept(TestData.ConsentScope, "research");
        optOutConsent.Organization = [new ResourceReference("Organization/hospital")];
        optOutConsent.Performer = [new ResourceReference($"Patient/{patient}")];
        optOutConsent.Source = new ResourceReference("DocumentReference/form-1");
        var optOut = await client.CreateAsync(optOutConsent);
        return (patient, optIn!.Id!, optOut!.Id!);
    }

    private static async Task<string[]> IdsAsync(FhirClient client, params string[] criteria)
    {
        var bundle = await client.SearchAsync<Consent>(criteria);
        return bundle!.Entry.Where(e => e.Resource is Consent).Select(e => e.Resource!.Id!).Order().ToArray();
    }

    [Fact]
    public async System.Threading.Tasks.Task Consent_search_parameters_select_the_right_resources()
    {
        var client = factory.FhirClient();
        var (patient, optIn, optOut) = await SeedAsync(client);
        var p = $"patient=Patient/{patient}";
        string[] both = new[] { optIn, optOut }.Order().ToArray();
        Assert.Equal(both, await IdsAsync(client, p));
        Assert.Equal(both, await IdsAsync(client, $"patient={patient}"));
        Assert.Equal([optIn], await IdsAsync(client, p, $"purpose={TestData.ActReason}|MLTRAINING"));
        Assert.Equal([optOut], await IdsAsync(client, p, "purpose=HRESCH"));
        Assert.Equal([optIn], await IdsAsync(client, p, "scope=patient-privacy"));
        Assert.Equal(both, await IdsAsync(client, p, "category=http://loinc.org|59284-0"));
        Assert.Equal(both, await IdsAsync(client, p, "status=active"));
        Assert.Empty(await IdsAsync(client, p, "status=inactive"));
        Assert.Equal([optIn], await IdsAsync(client, p, "actor=Organization/acme-ai"));
        Assert.Equal(both, await IdsAsync(client, p, "action=use"));
        Assert.Equal([optOut], await IdsAsync(client, p, "data=ImagingStudy/abc"));
        Assert.Equal([optOut], await IdsAsync(client, p, "security-label=R"));
        Assert.Equal([optOut], await IdsAsync(client, p, $"consentor=Patient/{patient}"));
        Assert.Equal([optOut], await IdsAsync(client, p, "organization=Organization/hospital"));
        Assert.Equal([optOut], await IdsAsync(client, p, "source-reference=DocumentReference/form-1"));
        Assert.Equal([optIn], await IdsAsync(client, p, "date=2024-03"));
        Assert.Equal([optOut], await IdsAsync(client, p, "date=gt2025-01-01"));
        Assert.Equal([optIn], await IdsAsync(client, p, "date=lt2025-01-01"));
        Assert.Equal([optOut], await IdsAsync(client, p, "date=ge2025-07-01"));
        Assert.Equal([optIn], await IdsAsync(client, p, "date=le2024-03-10"));
        Assert.Equal([optOut], await IdsAsync(client, p, "date=ne2024-03-10"));
        Assert.Equal([optIn], await IdsAsync(client, p, "date=eq2024-03-10"));
        Assert.Equal(both, await IdsAsync(client, p, "period=ge2026-01-01"));
        Assert.Equal([optIn], await IdsAsync(client, $"_id={optIn}"));
        Assert.Equal(both, await IdsAsync(client, p, "_lastUpdated=gt2020-01-01"));
    }

    [Fact]
    public async System.Threading.Tasks.Task Sort_by_date_and_summary_count()
    {
        var client = factory.FhirClient();
        var (patient, optIn, optOut) = await SeedAsync(client);
        var ascending = await client.SearchAsync<Consent>(new SearchParams().Where($"patient=Patient/{patient}").OrderBy("date"));
        Assert.Equal([optIn, optOut], ascending!.Entry.Select(e => e.Resource!.Id!));
        var descending = await client.SearchAsync<Consent>(new SearchParams().Where($"patient=Patient/{patient}").OrderBy("date", SortOrder.Descending));
        Assert.Equal([optOut, optIn], descending!.Entry.Select(e => e.Resource!.Id!));
        var count = await client.SearchAsync<Consent>([$"patient=Patient/{patient}"], summary: SummaryType.Count);
        Assert.Equal(2, count!.Total);
        Assert.Empty(count.Entry);
    }

    [Fact]
    public async System.Threading.Tasks.Task Paging_stays_consistent_while_others_write()
    {
        var client = factory.FhirClient();
        var patient = TestData.NewId();
        var created = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            created.Add((await client.CreateAsync(TestData.Consent(patient)))!.Id!);
        }
        var page = await client.SearchAsync<Consent>([$"patient=Patient/{patient}"], pageSize: 3);
        Assert.Equal(7, page!.Total);
        var seen = page.Entry.Select(e => e.Resource!.Id!).ToList();
        // Writes between pages: one more consent and a delete of one not yet seen.
        await client.CreateAsync(TestData.Consent(patient));
        await client.DeleteAsync($"Consent/{created[6]}");
        while ((page = await client.ContinueAsync(page!)) is not null)
        {
            Assert.Equal(7, page.Total);
            seen.AddRange(page.Entry.Select(e => e.Resource!.Id!));
        }
        Assert.Equal(created.Order(), seen.Order());
        var fresh = await client.SearchAsync<Consent>([$"patient=Patient/{patient}"], pageSize: 50);
        Assert.Equal(7, fresh!.Total);
    }

    [Fact]
    public async System.Threading.Tasks.Task Imaging_study_search_parameters()
    {
        var client = factory.FhirClient();
        var patient = TestData.NewId();
        var uid = TestData.NewUid();
        var ctStudy = await client.CreateAsync(TestData.Study(patient, uid, "CT", "69536005", "2024-06-01T08:30:00Z"));
        var mr = await client.CreateAsync(TestData.Study(patient, TestData.NewUid(), "MR", "12738006", "2022-01-05T10:00:00Z"));
        async Task<string[]> Ids(params string[] criteria) =>
            (await client.SearchAsync<ImagingStudy>(criteria))!.Entry.Select(e => e.Resource!.Id!).Order().ToArray();
        Assert.Equal(new[] { ctStudy!.Id!, mr!.Id! }.Order(), await Ids($"patient=Patient/{patient}"));
        Assert.Equal(new[] { ctStudy.Id!, mr.Id! }.Order(), await Ids($"subject=Patient/{patient}"));
        Assert.Equal([ctStudy.Id!], await Ids($"identifier=urn:dicom:uid|urn:oid:{uid}"));
        Assert.Equal([mr.Id!], await Ids($"patient=Patient/{patient}", "modality=MR"));
        Assert.Equal([ctStudy.Id!], await Ids($"patient=Patient/{patient}", "bodysite=http://snomed.info/sct|69536005"));
        Assert.Equal([ctStudy.Id!], await Ids($"patient=Patient/{patient}", "started=ge2023-01-01"));
        Assert.Equal([mr.Id!], await Ids($"patient=Patient/{patient}", "started=2022"));
        Assert.Equal([mr.Id!], await Ids($"_id={mr.Id}"));
    }

    [Fact]
    public async System.Threading.Tasks.Task Unknown_parameters_warn_or_fail_when_strict()
    {
        using var http = factory.CreateClient();
        var lenient = await http.GetAsync("/fhir/Consent?nonsense=1&_count=1");
        Assert.Equal(HttpStatusCode.OK, lenient.StatusCode);
        var bundle = await lenient.Content.ReadAsStringAsync();
        Assert.Contains("OperationOutcome", bundle);
        Assert.Contains("nonsense", bundle);

        using var strict = new HttpRequestMessage(HttpMethod.Get, "/fhir/Consent?nonsense=1");
        strict.Headers.Add("Prefer", "handling=strict");
        var refused = await http.SendAsync(strict);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("nonsense", await refused.Content.ReadAsStringAsync());

        var badDate = await http.GetAsync("/fhir/Consent?date=gt2024-13-45");
        Assert.Equal(HttpStatusCode.BadRequest, badDate.StatusCode);
        Assert.Equal("application/fhir+json", badDate.Content.Headers.ContentType!.MediaType);
    }
}
