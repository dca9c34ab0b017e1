using System.Net;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace ConsentService.Api.Tests.Security;

/// <summary>Access rules on the bundle, cohort and audit endpoints: per-entry scopes in bundles, vendor binding in
/// cohorts, the patient compartment on AuditEvents and the accounting of disclosures, and the whole-trail scope
/// for verify and export. Every refusal stores and leaks nothing.</summary>
public sealed class LaterEndpointsAccessTests(SecureServiceFactory factory) : SecurityTestBase(factory), IClassFixture<SecureServiceFactory>
{
    private static string BundleJson(Bundle.BundleType type, params Resource[] resources) => FhirJsonSerializer.Default.SerializeToString(new Bundle
    {
        Type = type,
        Entry = resources.Select(r => new Bundle.EntryComponent
        {
            Resource = r,
            Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = r.TypeName },
        }).ToList(),
    });

    [Fact]
    public async System.Threading.Tasks.Task Transaction_needs_the_scope_of_every_entry()
    {
        var patient = TestData.NewId();
        var before = await StoredAsync();
        var body = BundleJson(Bundle.BundleType.Transaction, TestData.Consent(patient), TestData.Study(patient, TestData.NewUid()));
        var consentOnly = await SendAsync(TestToken.System("system/Consent.cruds"), HttpMethod.Post, "/fhir", body);
        AssertRefused(consentOnly, HttpStatusCode.Forbidden, "/fhir");
        Assert.Equal(before, await StoredAsync());

        var vendor = await SendAsync(TestToken.Vendor(scope: "ai-training.decide system/Consent.cruds system/ImagingStudy.cruds"), HttpMethod.Post, "/fhir", body);
        AssertRefused(vendor, HttpStatusCode.Forbidden, "/fhir");
        var patientApp = await SendAsync(TestToken.PatientApp(patient, "patient/Consent.rs patient/ImagingStudy.rs"), HttpMethod.Post, "/fhir", body);
        AssertRefused(patientApp, HttpStatusCode.Forbidden, "/fhir");
        var anonymous = await SendAsync(null, HttpMethod.Post, "/fhir", body);
        AssertRefused(anonymous, HttpStatusCode.Unauthorized, "/fhir");
        Assert.Equal(before, await StoredAsync());

        var allowed = await SendAsync(TestToken.System("system/Consent.c system/ImagingStudy.c"), HttpMethod.Post, "/fhir", body);
        Assert.Equal(HttpStatusCode.OK, allowed.Status);
        Assert.Equal(before + 2, await StoredAsync());
    }

    [Fact]
    public async System.Threading.Tasks.Task Batch_refuses_only_the_entries_the_token_may_not_write()
    {
        var patient = TestData.NewId();
        var before = await StoredAsync();
        var body = BundleJson(Bundle.BundleType.Batch, TestData.Consent(patient), TestData.Study(patient, TestData.NewUid()));
        var answer = await SendAsync(TestToken.System("system/Consent.c"), HttpMethod.Post, "/fhir", body);
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        var statuses = answer.Json.GetProperty("entry").EnumerateArray().Select(e => e.GetProperty("response").GetProperty("status").GetString()!).ToArray();
        Assert.Equal(["201 Created", "403"], statuses);
        Assert.Equal(before + 1, await StoredAsync());
    }

    [Fact]
    public async System.Threading.Tasks.Task Cohort_binds_vendors_to_themselves_and_needs_the_decide_scope()
    {
        var (patient, uid, _, consentId) = await SeedPatientAsync();
        var audited = Factory.AuditRecords;
        var asOther = await DecideAsync(TestToken.Vendor("Organization/globex-ml"), new { actor = Vendor, filter = new { modality = new[] { "CT" } } }, "/api/v1/decisions/cohort");
        AssertRefused(asOther, HttpStatusCode.Forbidden, "/api");
        var noScope = await DecideAsync(TestToken.System("system/Consent.cruds"), new { actor = Vendor }, "/api/v1/decisions/cohort");
        AssertRefused(noScope, HttpStatusCode.Forbidden, "/api");
        Assert.Equal(audited, Factory.AuditRecords);

        var own = await DecideAsync(TestToken.Vendor(), new { filter = new { modality = new[] { "CT" } } }, "/api/v1/decisions/cohort");
        Assert.Equal(HttpStatusCode.OK, own.Status);
        Assert.Contains(uid, own.Body);
        Assert.DoesNotContain(consentId, own.Body);
        Assert.DoesNotContain(patient, own.Body);
        Assert.DoesNotContain("Consent/", own.Body);
    }

    [Fact]
    public async System.Threading.Tasks.Task Patients_see_only_their_own_audit_events_and_accounting()
    {
        var (mine, myUid, _, _) = await SeedPatientAsync();
        var (theirs, theirUid, _, _) = await SeedPatientAsync();
        var mineDecision = await DecideAsync(TestToken.Admin, new { study = myUid, actor = Vendor });
        var theirDecision = await DecideAsync(TestToken.Admin, new { study = theirUid, actor = Vendor });
        var myId = mineDecision.Json.GetProperty("decisionId").GetString()!;
        var theirId = theirDecision.Json.GetProperty("decisionId").GetString()!;
        var app = TestToken.PatientApp(mine);

        Assert.Equal(HttpStatusCode.OK, (await GetAsync(app, $"/fhir/AuditEvent/{myId}")).Status);
        AssertRefused(await GetAsync(app, $"/fhir/AuditEvent/{theirId}"), HttpStatusCode.NotFound, "/fhir");

        foreach (var query in new[] { $"patient=Patient/{theirs}", $"_id={theirId}", $"entity=Patient/{theirs}", "" })
        {
            var search = await GetAsync(app, $"/fhir/AuditEvent?{query}");
            Assert.Equal(HttpStatusCode.OK, search.Status);
            // The self link echoes the query sent; the entries must hold nothing of the other patient.
            var entries = search.Json.TryGetProperty("entry", out var list) ? list.GetRawText() : "";
            Assert.DoesNotContain(theirs, entries);
            Assert.DoesNotContain(theirId, entries);
        }
        var own = await GetAsync(app, $"/fhir/AuditEvent?patient=Patient/{mine}");
        Assert.Contains(myId, EntryIds(own));

        var accounting = await GetAsync(app, $"/api/v1/disclosures?patient=Patient/{mine}");
        Assert.Equal(HttpStatusCode.OK, accounting.Status);
        Assert.Contains(myId, accounting.Body);
        AssertRefused(await GetAsync(app, $"/api/v1/disclosures?patient=Patient/{theirs}"), HttpStatusCode.NotFound, "/api");
    }

    [Fact]
    public async System.Threading.Tasks.Task Verify_and_export_need_the_whole_trail_scope()
    {
        var (patient, _, _, _) = await SeedPatientAsync();
        foreach (var url in new[] { "/api/v1/audit/verify", "/api/v1/audit/export" })
        {
            AssertRefused(await GetAsync(null, url), HttpStatusCode.Unauthorized, url);
            AssertRefused(await GetAsync(TestToken.PatientApp(patient), url), HttpStatusCode.Forbidden, url);
            AssertRefused(await GetAsync(TestToken.Vendor(scope: "ai-training.decide system/AuditEvent.rs"), url), HttpStatusCode.Forbidden, url);
            AssertRefused(await GetAsync(TestToken.System("system/Consent.rs"), url), HttpStatusCode.Forbidden, url);
            Assert.Equal(HttpStatusCode.OK, (await GetAsync(TestToken.System("system/AuditEvent.rs"), url)).Status);
        }
    }
}

/// <summary>Refused accesses join the audit trail (outcome 4, Security Alert), through the service's own sink.</summary>
public sealed class RefusalAuditTests(RefusalAuditTests.AuditedRefusalFactory factory) : SecurityTestBase(factory), IClassFixture<RefusalAuditTests.AuditedRefusalFactory>
{
    public sealed class AuditedRefusalFactory : SecureServiceFactory
    {
        protected override bool CaptureRefusals => false;
    }

    [Fact]
    public async System.Threading.Tasks.Task Refused_accesses_are_recorded_in_the_audit_trail()
    {
        var before = await GetAsync(TestToken.Admin, "/fhir/AuditEvent?type=http://dicom.nema.org/resources/ontology/DCM|110113&outcome=4&_summary=count");
        Assert.Equal(HttpStatusCode.OK, before.Status);
        AssertRefused(await GetAsync(TestToken.System("system/ImagingStudy.rs"), "/fhir/Consent?status=active"), HttpStatusCode.Forbidden, "/fhir");
        var after = await GetAsync(TestToken.Admin, "/fhir/AuditEvent?type=http://dicom.nema.org/resources/ontology/DCM|110113&outcome=4&_summary=count");
        Assert.Equal(before.Json.GetProperty("total").GetInt32() + 1, after.Json.GetProperty("total").GetInt32());
    }
}
