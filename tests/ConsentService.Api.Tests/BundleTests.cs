using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Hl7.Fhir.Serialization;

namespace ConsentService.Api.Tests;

/// <summary>Transaction (all or nothing) and batch (per entry) bundles at POST /fhir.</summary>
public sealed class BundleTests(ConsentServiceFactory factory) : IClassFixture<ConsentServiceFactory>
{
    private static Bundle.EntryComponent Post(Resource resource, string? fullUrl = null, string? ifNoneExist = null) => new()
    {
        FullUrl = fullUrl,
        Resource = resource,
        Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = resource.TypeName, IfNoneExist = ifNoneExist },
    };

    private static Bundle.EntryComponent Put(Resource resource, string? ifMatch = null) => new()
    {
        Resource = resource,
        Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PUT, Url = $"{resource.TypeName}/{resource.Id}", IfMatch = ifMatch },
    };

    private async Task<(HttpStatusCode Status, string Body)> SendAsync(Bundle bundle)
    {
        using var http = factory.CreateClient();
        var response = await http.PostAsync("/fhir", new StringContent(FhirJsonSerializer.Default.SerializeToString(bundle), Encoding.UTF8, "application/fhir+json"));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private async Task<int> CountAsync(string type, string criteria) =>
        (await factory.FhirClient().SearchAsync(type, [criteria], summary: SummaryType.Count))!.Total ?? -1;

    [Fact]
    public async System.Threading.Tasks.Task Transaction_stores_everything_and_resolves_urn_uuid_references()
    {
        var patient = TestData.NewId();
        var study = TestData.Study(patient, TestData.NewUid());
        var consent = TestData.Consent(patient);
        consent.Provision!.Data = [new Consent.provisionDataComponent { Meaning = Consent.ConsentDataMeaning.Instance, Reference = new ResourceReference("urn:uuid:5d2b1c40-0000-4000-8000-000000000001") }];
        var bundle = new Bundle { Type = Bundle.BundleType.Transaction, Entry = [Post(consent), Post(study, "urn:uuid:5d2b1c40-0000-4000-8000-000000000001")] };

        var (status, body) = await SendAsync(bundle);
        Assert.Equal(HttpStatusCode.OK, status);
        var response = new FhirJsonDeserializer().Deserialize<Bundle>(body);
        Assert.Equal(Bundle.BundleType.TransactionResponse, response.Type);
        Assert.All(response.Entry, e => Assert.Equal("201 Created", e.Response!.Status));
        var studyId = response.Entry[1].Response!.Location!.Split('/')[1];
        var stored = await factory.FhirClient().ReadAsync<Consent>(response.Entry[0].Response!.Location!.Split("/_history")[0]);
        Assert.Equal($"ImagingStudy/{studyId}", stored!.Provision!.Data[0].Reference!.Reference);
        Assert.Equal(1, await CountAsync("Consent", $"data=ImagingStudy/{studyId}"));
    }

    [Fact]
    public async System.Threading.Tasks.Task Failed_transaction_stores_nothing()
    {
        var patient = TestData.NewId();
        var takenUid = TestData.NewUid();
        await factory.FhirClient().CreateAsync(TestData.Study(TestData.NewId(), takenUid));

        var invalid = TestData.Consent(patient);
        invalid.Category.Clear();
        var (s1, b1) = await SendAsync(new Bundle { Type = Bundle.BundleType.Transaction, Entry = [Post(TestData.Consent(patient)), Post(invalid)] });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, s1);
        Assert.Contains("Bundle.entry[1].resource.category", b1);

        var (s2, _) = await SendAsync(new Bundle { Type = Bundle.BundleType.Transaction, Entry = [Post(TestData.Consent(patient)), Post(TestData.Study(patient, takenUid))] });
        Assert.Equal(HttpStatusCode.Conflict, s2);

        var existing = TestData.Consent(TestData.NewId());
        existing.Id = $"tx-{TestData.NewId()}";
        await factory.FhirClient().UpdateAsync(existing);
        var (s3, _) = await SendAsync(new Bundle { Type = Bundle.BundleType.Transaction, Entry = [Post(TestData.Consent(patient)), Put(existing, "W/\"7\"")] });
        Assert.Equal(HttpStatusCode.PreconditionFailed, s3);

        var dangling = TestData.Consent(patient);
        dangling.Provision!.Data = [new Consent.provisionDataComponent { Meaning = Consent.ConsentDataMeaning.Instance, Reference = new ResourceReference("urn:uuid:00000000-0000-4000-8000-00000000dead") }];
        var (s4, _) = await SendAsync(new Bundle { Type = Bundle.BundleType.Transaction, Entry = [Post(TestData.Consent(patient)), Post(dangling)] });
        Assert.Equal(HttpStatusCode.BadRequest, s4);

        Assert.Equal(0, await CountAsync("Consent", $"patient=Patient/{patient}"));
        Assert.Equal(0, await CountAsync("ImagingStudy", $"patient=Patient/{patient}"));
    }

    private async Task<List<AuditEvent>> WriteEventsAsync(string patient)
    {
        using var http = factory.CreateClient();
        var body = await http.GetStringAsync($"/fhir/AuditEvent?patient=Patient/{patient}&type=http://terminology.hl7.org/CodeSystem/audit-event-type|rest&_count=100");
        return ((Bundle)new FhirJsonDeserializer().DeserializeResource(body)).Entry.Select(e => e.Resource).OfType<AuditEvent>().ToList();
    }

    private static string? Interaction(AuditEvent e) => e.Subtype.SingleOrDefault(s => s.System == "http://hl7.org/fhir/restful-interaction")?.Code;

    [Fact]
    public async System.Threading.Tasks.Task Every_transaction_entry_is_audited_as_its_single_interaction_and_a_failed_one_not_at_all()
    {
        var patient = TestData.NewId();
        var updated = TestData.Consent(patient);
        updated.Id = $"tx-{TestData.NewId()}";
        await factory.FhirClient().UpdateAsync(updated);
        var deleted = await factory.FhirClient().CreateAsync(TestData.Study(patient, TestData.NewUid()));
        var before = await WriteEventsAsync(patient);
        Assert.Equal(2, before.Count);

        var study = TestData.Study(patient, TestData.NewUid());
        var (status, body) = await SendAsync(new Bundle
        {
            Type = Bundle.BundleType.Transaction,
            Entry =
            [
                Post(study),
                Post(TestData.Consent(patient)),
                Put(updated, "W/\"1\""),
                new Bundle.EntryComponent { Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.DELETE, Url = $"ImagingStudy/{deleted!.Id}" } },
            ],
        });
        Assert.Equal(HttpStatusCode.OK, status);
        var response = new FhirJsonDeserializer().Deserialize<Bundle>(body);
        var events = (await WriteEventsAsync(patient)).Where(e => before.All(b => b.Id != e.Id)).ToList();
        Assert.Equal(4, events.Count);
        foreach (var (entry, interaction) in response.Entry.Zip(new[] { "create", "create", "update", "delete" }))
        {
            var version = entry.Response!.Location!;
            var audit = Assert.Single(events, e => e.Entity.Any(x => x.What?.Reference == version));
            Assert.Equal(interaction, Interaction(audit));
            Assert.Contains(audit.Entity, x => x.What?.Reference == $"Patient/{patient}");
        }

        // A transaction that fails stores nothing, and so audits nothing.
        var (failed, _) = await SendAsync(new Bundle { Type = Bundle.BundleType.Transaction, Entry = [Post(TestData.Consent(patient)), Put(updated, "W/\"1\"")] });
        Assert.Equal(HttpStatusCode.PreconditionFailed, failed);
        Assert.Equal(before.Count + 4, (await WriteEventsAsync(patient)).Count);
    }

    [Fact]
    public async System.Threading.Tasks.Task Transaction_conditional_create_reuses_the_existing_resource()
    {
        var patient = TestData.NewId();
        var uid = TestData.NewUid();
        var existing = await factory.FhirClient().CreateAsync(TestData.Study(patient, uid));
        var consent = TestData.Consent(patient);
        consent.Provision!.Data = [new Consent.provisionDataComponent { Meaning = Consent.ConsentDataMeaning.Instance, Reference = new ResourceReference("urn:uuid:5d2b1c40-0000-4000-8000-000000000002") }];
        var (status, body) = await SendAsync(new Bundle
        {
            Type = Bundle.BundleType.Transaction,
            Entry = [Post(TestData.Study(patient, uid), "urn:uuid:5d2b1c40-0000-4000-8000-000000000002", $"identifier=urn:dicom:uid|urn:oid:{uid}"), Post(consent)],
        });
        Assert.Equal(HttpStatusCode.OK, status);
        var response = new FhirJsonDeserializer().Deserialize<Bundle>(body);
        Assert.Equal("200 OK", response.Entry[0].Response!.Status);
        Assert.Equal($"ImagingStudy/{existing!.Id}/_history/1", response.Entry[0].Response!.Location);
        Assert.Equal(1, await CountAsync("Consent", $"data=ImagingStudy/{existing.Id}"));
    }

    [Theory]
    [InlineData("_summary=count")]
    [InlineData("_count=0")]
    [InlineData("_offset=1")]
    [InlineData("_snapshot=1")]
    public async System.Threading.Tasks.Task Conditional_create_criteria_ignore_paging_summary_and_snapshot(string extra)
    {
        // Such parameters in the criteria would hide the existing match and let a duplicate in.
        var patient = TestData.NewId();
        var identifier = $"urn:test:consent|{TestData.NewId()}";
        var existing = TestData.Consent(patient);
        existing.Identifier = [new Identifier("urn:test:consent", identifier.Split('|')[1])];
        var stored = await factory.FhirClient().CreateAsync(existing);
        var again = TestData.Consent(patient);
        again.Identifier = [.. existing.Identifier];

        var (status, body) = await SendAsync(new Bundle { Type = Bundle.BundleType.Transaction, Entry = [Post(again, ifNoneExist: $"identifier={identifier}&{extra}")] });
        Assert.Equal(HttpStatusCode.OK, status);
        var response = new FhirJsonDeserializer().Deserialize<Bundle>(body);
        Assert.Equal("200 OK", response.Entry[0].Response!.Status);
        Assert.Equal($"Consent/{stored!.Id}/_history/1", response.Entry[0].Response!.Location);

        using var http = factory.CreateClient();
        using var single = new HttpRequestMessage(HttpMethod.Post, "/fhir/Consent") { Content = new StringContent(TestData.Json(again), Encoding.UTF8, "application/fhir+json") };
        single.Headers.Add("If-None-Exist", $"identifier={identifier}&{extra}");
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(single)).StatusCode);
        Assert.Equal(1, await CountAsync("Consent", $"patient=Patient/{patient}"));
    }

    [Fact]
    public async System.Threading.Tasks.Task Batch_succeeds_and_fails_per_entry()
    {
        var patient = TestData.NewId();
        var invalid = TestData.Consent(patient);
        invalid.Patient = null!;
        var uid = TestData.NewUid();
        var (status, body) = await SendAsync(new Bundle
        {
            Type = Bundle.BundleType.Batch,
            Entry =
            [
                Post(TestData.Consent(patient)),
                Post(invalid),
                Post(TestData.Study(patient, uid)),
                Post(TestData.Study(patient, uid)), // duplicate UID: conflict, alone
                new Bundle.EntryComponent { Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.DELETE, Url = "Consent/never-existed" } },
            ],
        });
        Assert.Equal(HttpStatusCode.OK, status);
        var response = new FhirJsonDeserializer().Deserialize<Bundle>(body);
        Assert.Equal(Bundle.BundleType.BatchResponse, response.Type);
        Assert.Equal(["201 Created", "422", "201 Created", "409", "404"], response.Entry.Select(e => e.Response!.Status!).ToArray());
        Assert.NotNull(response.Entry[1].Response!.Outcome);
        Assert.Equal(1, await CountAsync("Consent", $"patient=Patient/{patient}"));
        Assert.Equal(1, await CountAsync("ImagingStudy", $"patient=Patient/{patient}"));
    }

    [Fact]
    public async System.Threading.Tasks.Task Bundle_limits_and_shape_are_enforced()
    {
        var tooMany = new Bundle { Type = Bundle.BundleType.Batch };
        for (var i = 0; i < 10_001; i++)
        {
            tooMany.Entry.Add(new Bundle.EntryComponent { Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.DELETE, Url = $"Consent/x{i}" } });
        }
        var (s1, b1) = await SendAsync(tooMany);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, s1);
        Assert.Contains("Bundle.entry", b1);

        var (s2, _) = await SendAsync(new Bundle { Type = Bundle.BundleType.Collection });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, s2);

        using var http = factory.CreateClient();
        var notABundle = await http.PostAsync("/fhir", new StringContent(TestData.Json(TestData.Consent("p")), Encoding.UTF8, "application/fhir+json"));
        Assert.Equal(HttpStatusCode.BadRequest, notABundle.StatusCode);
    }

    [Fact]
    public async System.Threading.Tasks.Task Bundles_may_exceed_ten_mebibytes()
    {
        var patient = TestData.NewId();
        var bundle = new Bundle { Type = Bundle.BundleType.Transaction };
        var padding = new string('x', 200_000);
        for (var i = 0; i < 60; i++)
        {
            var consent = TestData.Consent(patient);
            consent.Text = new Narrative { Status = Narrative.NarrativeStatus.Generated, Div = $"<div xmlns=\"http://www.w3.org/1999/xhtml\">{padding}</div>" };
            bundle.Entry.Add(Post(consent));
        }
        var (status, _) = await SendAsync(bundle); // about 12 MB
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(60, await CountAsync("Consent", $"patient=Patient/{patient}"));
    }
}
