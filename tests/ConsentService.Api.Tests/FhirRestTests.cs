using System.Net;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;

namespace ConsentService.Api.Tests;

/// <summary>The FHIR REST interactions for Consent and ImagingStudy, driven by Firely's FhirClient.</summary>
public sealed class FhirRestTests(ConsentServiceFactory factory) : IClassFixture<ConsentServiceFactory>
{
    [Fact]
    public async System.Threading.Tasks.Task Metadata_is_an_R4_capability_statement_listing_the_three_types()
    {
        var client = factory.FhirClient();
        var capabilities = await client.CapabilityStatementAsync();
        Assert.Equal(FHIRVersion.N4_0_1, capabilities!.FhirVersion);
        var resources = capabilities.Rest.Single().Resource.ToDictionary(r => r.Type!);
        Assert.Contains("AuditEvent", resources.Keys);
        var consent = resources["Consent"];
        Assert.Contains(consent.Interaction, i => i.Code == CapabilityStatement.TypeRestfulInteraction.Vread);
        Assert.Contains(consent.SearchParam, p => p.Name == "purpose" && p.Type == SearchParamType.Token);
        Assert.Contains(consent.SearchParam, p => p.Name == "_lastUpdated");
        Assert.Contains(resources["ImagingStudy"].SearchParam, p => p.Name == "bodysite");
        Assert.True(consent.ConditionalCreate);
    }

    [Fact]
    public async System.Threading.Tasks.Task Create_read_update_vread_history_delete_round_trip()
    {
        var client = factory.FhirClient();
        var patient = TestData.NewId();
        var created = await client.CreateAsync(TestData.Consent(patient));
        Assert.Equal(HttpStatusCode.Created.ToString("D"), client.LastResult!.Status!.Split(' ')[0]);
        Assert.Equal("1", created!.Meta!.VersionId);
        Assert.NotNull(created.Meta.LastUpdated);
        Assert.EndsWith($"/fhir/Consent/{created.Id}/_history/1", client.LastResult.Location);
        Assert.Equal("W/\"1\"", client.LastResult.Etag);

        var read = await client.ReadAsync<Consent>($"Consent/{created.Id}");
        Assert.Equal(created.Id, read!.Id);
        Assert.Equal("1", read.Meta!.VersionId);

        read.Status = Consent.ConsentState.Inactive;
        var updated = await client.UpdateAsync(read);
        Assert.Equal("2", updated!.Meta!.VersionId);

        var first = await client.ReadAsync<Consent>($"Consent/{created.Id}/_history/1");
        Assert.Equal(Consent.ConsentState.Active, first!.Status);

        var history = await client.HistoryAsync($"Consent/{created.Id}");
        Assert.Equal(2, history!.Total);
        Assert.Equal(new[] { "2", "1" }, history.Entry.Select(e => e.Resource!.Meta!.VersionId));

        await client.DeleteAsync($"Consent/{created.Id}");
        var gone = await Assert.ThrowsAsync<FhirOperationException>(() => client.ReadAsync<Consent>($"Consent/{created.Id}"));
        Assert.Equal(HttpStatusCode.Gone, gone.Status);
        var afterDelete = await client.HistoryAsync($"Consent/{created.Id}");
        Assert.Equal(3, afterDelete!.Total);
        Assert.Null(afterDelete.Entry[0].Resource);
        Assert.Equal(Bundle.HTTPVerb.DELETE, afterDelete.Entry[0].Request!.Method);
        // A vread of an older version still works after the delete.
        Assert.NotNull(await client.ReadAsync<Consent>($"Consent/{created.Id}/_history/2"));
    }

    [Fact]
    public async System.Threading.Tasks.Task Update_with_a_client_id_creates_and_stale_if_match_is_412()
    {
        var client = factory.FhirClient();
        var consent = TestData.Consent(TestData.NewId());
        consent.Id = $"client-{TestData.NewId()}";
        var created = await client.UpdateAsync(consent);
        Assert.StartsWith("201", client.LastResult!.Status);
        Assert.Equal("1", created!.Meta!.VersionId);

        created.Status = Consent.ConsentState.Inactive;
        var v2 = await client.UpdateAsync(created, versionAware: true);
        Assert.Equal("2", v2!.Meta!.VersionId);

        created.Meta!.VersionId = "1"; // stale
        var stale = await Assert.ThrowsAsync<FhirOperationException>(() => client.UpdateAsync(created, versionAware: true));
        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.Status);
        Assert.NotNull(stale.Outcome);
        var current = await client.ReadAsync<Consent>($"Consent/{created.Id}");
        Assert.Equal("2", current!.Meta!.VersionId);
    }

    [Fact]
    public async System.Threading.Tasks.Task Conditional_create_returns_the_existing_resource()
    {
        var client = factory.FhirClient();
        var consent = TestData.Consent(TestData.NewId());
        var identifier = TestData.NewId();
        consent.Identifier = [new Identifier("urn:example:consent-ids", identifier)];
        var condition = new SearchParams().Add("identifier", $"urn:example:consent-ids|{identifier}");
        var first = await client.ConditionalCreateAsync(consent, condition);
        Assert.StartsWith("201", client.LastResult!.Status);
        var second = await client.ConditionalCreateAsync(consent, condition);
        Assert.StartsWith("200", client.LastResult!.Status);
        Assert.Equal(first!.Id, second!.Id);
        var found = await client.SearchAsync<Consent>(["identifier=urn:example:consent-ids|" + identifier]);
        Assert.Equal(1, found!.Total);
    }

    [Fact]
    public async System.Threading.Tasks.Task One_imaging_study_per_study_instance_uid()
    {
        var client = factory.FhirClient();
        var uid = TestData.NewUid();
        var study = await client.CreateAsync(TestData.Study(TestData.NewId(), uid));
        var duplicate = await Assert.ThrowsAsync<FhirOperationException>(() => client.CreateAsync(TestData.Study(TestData.NewId(), uid)));
        Assert.Equal(HttpStatusCode.Conflict, duplicate.Status);
        var found = await client.SearchAsync<ImagingStudy>([$"identifier=urn:dicom:uid|urn:oid:{uid}"]);
        Assert.Equal(1, found!.Total);
        Assert.Equal(study!.Id, found.Entry.Single().Resource!.Id);
        // Conditional create by the UID is the idempotent way to register.
        var again = await client.ConditionalCreateAsync(TestData.Study(TestData.NewId(), uid), new SearchParams().Add("identifier", $"urn:dicom:uid|urn:oid:{uid}"));
        Assert.Equal(study.Id, again!.Id);
        // Once deleted, the UID may be registered again.
        await client.DeleteAsync(study);
        var reRegistered = await client.CreateAsync(TestData.Study(TestData.NewId(), uid));
        Assert.NotEqual(study.Id, reRegistered!.Id);
    }

    [Fact]
    public async System.Threading.Tasks.Task Xml_is_read_and_written()
    {
        var client = factory.FhirClient(ResourceFormat.Xml);
        var created = await client.CreateAsync(TestData.Consent(TestData.NewId()));
        var read = await client.ReadAsync<Consent>($"Consent/{created!.Id}");
        Assert.Equal(created.Id, read!.Id);

        using var http = factory.CreateClient();
        var xml = await http.GetAsync($"/fhir/Consent/{created.Id}?_format=xml");
        Assert.Equal("application/fhir+xml", xml.Content.Headers.ContentType!.MediaType);
        Assert.StartsWith("<Consent", await xml.Content.ReadAsStringAsync());
        var json = await http.GetAsync($"/fhir/Consent/{created.Id}?_format=json");
        Assert.Equal("application/fhir+json", json.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async System.Threading.Tasks.Task Type_history_lists_new_versions()
    {
        var client = factory.FhirClient();
        var created = await client.CreateAsync(TestData.Study(TestData.NewId(), TestData.NewUid()));
        var history = await client.TypeHistoryAsync<ImagingStudy>(pageSize: 5);
        Assert.True(history!.Total >= 1);
        Assert.Equal(created!.Id, history.Entry[0].Resource!.Id);
    }
}
