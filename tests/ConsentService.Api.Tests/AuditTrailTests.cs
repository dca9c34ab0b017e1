using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ConsentService.Application.Audit;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Task = System.Threading.Tasks.Task;

namespace ConsentService.Api.Tests;

/// <summary>The audit trail through the real pipeline: each event kind, each search parameter, immutability,
/// disclosures, the accounting, verify and export.</summary>
public class AuditTrailTests(ConsentServiceFactory factory) : IClassFixture<ConsentServiceFactory>
{
    private const string Vendor = "Organization/acme-ai";
    private const string Dcm = "http://dicom.nema.org/resources/ontology/DCM";

    private sealed record Seeded(string Patient, string Uid, string StudyId, string ConsentId, string DecisionId);

    private async Task<Seeded> SeedAsync(string policy = "OPTIN")
    {
        var client = factory.FhirClient();
        var patient = TestData.NewId();
        var uid = TestData.NewUid();
        var study = await client.CreateAsync(TestData.Study(patient, uid));
        var consent = await client.CreateAsync(TestData.Consent(patient, policy));
        using var http = factory.CreateClient();
        var decision = await PostJsonAsync(http, "/api/v1/decisions", new { study = uid, actor = Vendor });
        return new Seeded(patient, uid, study!.Id!, consent!.Id!, (string)decision["decisionId"]!);
    }

    private static async Task<JsonNode> PostJsonAsync(HttpClient http, string path, object body)
    {
        var response = await http.PostAsync(path, new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    private async Task<List<AuditEvent>> SearchAsync(string query)
    {
        using var http = factory.CreateClient();
        var response = await http.GetAsync($"/fhir/AuditEvent?{query}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var bundle = (Bundle)FhirJsonDeserializer.RECOVERABLE.DeserializeResource(await response.Content.ReadAsStringAsync());
        return bundle.Entry.Select(e => e.Resource).OfType<AuditEvent>().ToList();
    }

    private static bool Is(AuditEvent e, string system, string code) => e.Subtype.Any(s => s.System == system && s.Code == code);

    [Fact]
    public async Task Decision_event_is_readable_by_its_decision_id_and_follows_balp_authz_consent()
    {
        var seeded = await SeedAsync();
        var audit = await factory.FhirClient().ReadAsync<AuditEvent>($"AuditEvent/{seeded.DecisionId}");
        Assert.Equal(("110113", Dcm), (audit!.Type.Code, audit.Type.System));
        Assert.Contains(audit.Subtype, s => s.Code == "AuthZ-Consent");
        Assert.Equal(AuditEvent.AuditEventAction.E, audit.Action);
        Assert.Equal(AuditEvent.AuditEventOutcome.N0, audit.Outcome);
        Assert.Contains(audit.Agent, a => a.Who?.Reference == Vendor && a.PurposeOfUse.Count == 1);
        // Development without Auth settings runs open: every request is the open-access client.
        Assert.Contains(audit.Agent, a => a.Requestor == true && a.Who?.Display == "development-open-access");
        Assert.Contains(audit.Entity, e => e.What?.Reference == $"Patient/{seeded.Patient}");
        Assert.Contains(audit.Entity, e => e.What?.Reference == $"ImagingStudy/{seeded.StudyId}" && e.What.Identifier?.Value == $"urn:oid:{seeded.Uid}"
            && e.Detail.Any(d => d.Type == "decision" && d.Value is FhirString { Value: "permit" }));
        Assert.Contains(audit.Entity, e => e.What?.Reference == $"Consent/{seeded.ConsentId}/_history/1");
        Assert.Equal("Device/consent-service", audit.Source.Observer.Reference);
    }

    [Fact]
    public async Task Every_write_is_recorded_with_the_version_and_the_patient()
    {
        var seeded = await SeedAsync();
        var client = factory.FhirClient();
        var consent = await client.ReadAsync<Consent>($"Consent/{seeded.ConsentId}");
        consent!.Status = Consent.ConsentState.Inactive;
        await client.UpdateAsync(consent);
        await client.DeleteAsync($"Consent/{seeded.ConsentId}");
        await client.DeleteAsync($"ImagingStudy/{seeded.StudyId}");

        var rest = (await SearchAsync($"patient=Patient/{seeded.Patient}&type=http://terminology.hl7.org/CodeSystem/audit-event-type|rest&_count=100"))
            .Where(e => e.Action != AuditEvent.AuditEventAction.R && e.Action != AuditEvent.AuditEventAction.E).ToList();
        string[] expected =
        [
            $"create ImagingStudy/{seeded.StudyId}/_history/1", $"create Consent/{seeded.ConsentId}/_history/1",
            $"update Consent/{seeded.ConsentId}/_history/2", $"delete Consent/{seeded.ConsentId}/_history/3",
            $"delete ImagingStudy/{seeded.StudyId}/_history/2",
        ];
        Assert.Equal(expected, rest.Select(e => $"{e.Subtype[0].Code} {e.Entity[0].What!.Reference}"));
        Assert.Equal([AuditEvent.AuditEventAction.C, AuditEvent.AuditEventAction.C, AuditEvent.AuditEventAction.U, AuditEvent.AuditEventAction.D, AuditEvent.AuditEventAction.D],
            rest.Select(e => e.Action!.Value));
        Assert.All(rest, e => Assert.Contains(e.Entity, x => x.What?.Reference == $"Patient/{seeded.Patient}" && x.Role?.Code == "1"));
        Assert.Equal($"urn:oid:{seeded.Uid}", rest[0].Entity[0].What!.Identifier!.Value);
        Assert.All(rest, e => Assert.Equal(7, Guid.Parse(e.Id!).Version)); // event ids in time order (AuditEventParts.NewEventId)
    }

    [Fact]
    public async Task Consent_read_vread_search_and_history_are_recorded_one_event_per_patient()
    {
        var first = await SeedAsync();
        var second = await SeedAsync();
        using var http = factory.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/fhir/Consent/{first.ConsentId}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/fhir/Consent/{first.ConsentId}/_history/1")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/fhir/Consent/{first.ConsentId}/_history")).StatusCode);
        var search = await http.GetAsync($"/fhir/Consent?_id={first.ConsentId},{second.ConsentId}");
        Assert.Equal(HttpStatusCode.OK, search.StatusCode);

        const string Rest = "http://hl7.org/fhir/restful-interaction";
        var ofFirst = await SearchAsync($"patient=Patient/{first.Patient}&action=R,E&type=http://terminology.hl7.org/CodeSystem/audit-event-type|rest");
        Assert.Single(ofFirst, e => Is(e, Rest, "read") && e.Entity.Any(x => x.What?.Reference == $"Consent/{first.ConsentId}/_history/1"));
        Assert.Single(ofFirst, e => Is(e, Rest, "vread"));
        Assert.Single(ofFirst, e => Is(e, Rest, "history-instance"));
        var query = Assert.Single(ofFirst, e => Is(e, Rest, "search-type"));
        Assert.Contains(query.Entity, x => x.Role?.Code == "24" && Encoding.UTF8.GetString(x.Query ?? []).Contains(first.ConsentId));
        var ofSecond = await SearchAsync($"patient=Patient/{second.Patient}&subtype={Rest}|search-type");
        Assert.Single(ofSecond); // the one search returned both patients' consents: one event each
        Assert.NotEqual(query.Id, ofSecond[0].Id);
    }

    [Fact]
    public async Task Refusals_are_recorded_through_the_audit_trail_service()
    {
        var patient = $"Patient/{TestData.NewId()}";
        var trail = factory.Services.GetRequiredService<AuditTrail>();
        await trail.RecordRefusalAsync(new RefusedAccess("read", "Consent/x1", patient, 403, "The token lacks scope system/Consent.read."), CancellationToken.None);
        var refusal = Assert.Single(await SearchAsync($"patient={patient}&outcome=4&type={Dcm}|110113"));
        Assert.Equal("403: The token lacks scope system/Consent.read.", refusal.OutcomeDesc);
        Assert.Contains(refusal.Entity, e => e.What?.Reference == "Consent/x1");
    }

    [Fact]
    public async Task Every_search_parameter_selects_the_right_events()
    {
        var seeded = await SeedAsync();
        var before = DateTimeOffset.UtcNow.AddMinutes(-5).ToString("yyyy-MM-ddTHH:mm:ssZ");
        var p = $"patient=Patient/{seeded.Patient}";
        Assert.Equal(3, (await SearchAsync(p)).Count); // two creates and the decision
        Assert.Equal([seeded.DecisionId], (await SearchAsync($"{p}&agent={Vendor}")).Select(e => e.Id));
        Assert.Equal([seeded.DecisionId], (await SearchAsync($"{p}&type={Dcm}|110113")).Select(e => e.Id));
        Assert.Equal([seeded.DecisionId], (await SearchAsync($"{p}&subtype=AuthZ-Consent")).Select(e => e.Id));
        Assert.Equal([seeded.DecisionId], (await SearchAsync($"{p}&type={Dcm}|")).Select(e => e.Id)); // by system alone
        Assert.Equal(2, (await SearchAsync($"{p}&type=http://terminology.hl7.org/CodeSystem/audit-event-type|")).Count);
        Assert.Empty(await SearchAsync($"{p}&type=http://example.org/other|110113"));
        Assert.Equal(3, (await SearchAsync($"{p}&action=|C,|E")).Count); // codes without a system
        Assert.Equal([seeded.DecisionId], (await SearchAsync($"{p}&decision=permit")).Select(e => e.Id));
        Assert.Empty(await SearchAsync($"{p}&decision=deny"));
        Assert.Equal(2, (await SearchAsync($"{p}&action=C")).Count);
        Assert.Equal(3, (await SearchAsync($"{p}&outcome=0")).Count);
        Assert.Equal(3, (await SearchAsync($"{p}&source=Device/consent-service")).Count);
        Assert.Equal(3, (await SearchAsync($"{p}&date=ge{before}")).Count);
        Assert.Empty(await SearchAsync($"{p}&date=lt{before}"));
        Assert.Equal(2, (await SearchAsync($"entity=ImagingStudy/{seeded.StudyId}")).Count); // its create and the decision
        Assert.Equal(2, (await SearchAsync($"entity=Consent/{seeded.ConsentId}")).Count); // its create and the decision resting on it

        var denied = await SeedAsync("OPTOUT");
        Assert.Equal([denied.DecisionId], (await SearchAsync($"patient=Patient/{denied.Patient}&decision=deny")).Select(e => e.Id));

        using var http = factory.CreateClient();
        var page = JsonNode.Parse(await http.GetStringAsync($"/fhir/AuditEvent?{p}&_count=2"))!;
        Assert.Equal(3, (int)page["total"]!);
        var next = page["link"]!.AsArray().Single(l => (string?)l!["relation"] == "next")!["url"]!.ToString();
        var rest = JsonNode.Parse(await http.GetStringAsync(next))!;
        Assert.Single(rest["entry"]!.AsArray());
    }

    [Fact]
    public async Task Audit_events_are_immutable()
    {
        var seeded = await SeedAsync();
        using var http = factory.CreateClient();
        var json = await http.GetStringAsync($"/fhir/AuditEvent/{seeded.DecisionId}");
        var put = await http.PutAsync($"/fhir/AuditEvent/{seeded.DecisionId}", new StringContent(json, Encoding.UTF8, "application/fhir+json"));
        var delete = await http.DeleteAsync($"/fhir/AuditEvent/{seeded.DecisionId}");
        foreach (var response in new[] { put, delete })
        {
            Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
            Assert.Contains("OperationOutcome", await response.Content.ReadAsStringAsync());
        }
        Assert.Equal(json, await http.GetStringAsync($"/fhir/AuditEvent/{seeded.DecisionId}"));
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"/fhir/AuditEvent/{Guid.NewGuid()}")).StatusCode);
    }

    private static AuditEvent Disclosure(string? studyReference, string? uid, string? recipient, string? decisionId = null)
    {
        var audit = new AuditEvent
        {
            Type = new Coding(Dcm, "110106", "Export"),
            Subtype = [new Coding("http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle", "disclose")],
            Action = AuditEvent.AuditEventAction.R,
            Recorded = DateTimeOffset.UtcNow,
            Outcome = AuditEvent.AuditEventOutcome.N0,
            PurposeOfEvent = [new CodeableConcept(TestData.ActReason, "MLTRAINING")],
            Agent =
            [
                new AuditEvent.AgentComponent { Type = new CodeableConcept(Dcm, "110153", "Source Role ID"), Who = new ResourceReference("Device/pacs-1"), Requestor = true },
            ],
            Source = new AuditEvent.SourceComponent { Observer = new ResourceReference("Device/pacs-1") },
        };
        if (recipient is not null)
        {
            audit.Agent.Add(new AuditEvent.AgentComponent
            {
                Type = new CodeableConcept("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "IRCP"),
                Who = new ResourceReference(recipient),
                Requestor = false,
            });
        }
        if (studyReference is not null || uid is not null)
        {
            audit.Entity.Add(new AuditEvent.EntityComponent
            {
                What = new ResourceReference { Reference = studyReference, Identifier = uid is null ? null : new Identifier("urn:dicom:uid", $"urn:oid:{uid}") },
            });
        }
        if (decisionId is not null)
        {
            audit.Entity.Add(new AuditEvent.EntityComponent { What = new ResourceReference($"AuditEvent/{decisionId}") });
        }
        return audit;
    }

    private async Task<HttpResponseMessage> PostDisclosureAsync(AuditEvent audit)
    {
        using var http = factory.CreateClient();
        return await http.PostAsync("/fhir/AuditEvent", new StringContent(TestData.Json(audit), Encoding.UTF8, "application/fhir+json"));
    }

    [Fact]
    public async Task A_reported_export_joins_the_trail_and_the_accounting_of_disclosures()
    {
        var seeded = await SeedAsync();
        var created = await PostDisclosureAsync(Disclosure(null, seeded.Uid, Vendor, seeded.DecisionId));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var stored = (AuditEvent)FhirJsonDeserializer.RECOVERABLE.DeserializeResource(await created.Content.ReadAsStringAsync());
        Assert.Contains(stored.Entity, e => e.What?.Reference == $"Patient/{seeded.Patient}");
        Assert.Contains(stored.Entity, e => e.What?.Reference == $"ImagingStudy/{seeded.StudyId}");
        Assert.EndsWith($"/fhir/AuditEvent/{stored.Id}/_history/1", created.Headers.Location!.ToString());
        Assert.Single(await SearchAsync($"patient=Patient/{seeded.Patient}&subtype=disclose"));

        using var http = factory.CreateClient();
        var accounting = JsonNode.Parse(await http.GetStringAsync($"/api/v1/disclosures?patient=Patient/{seeded.Patient}"))!;
        Assert.Equal($"Patient/{seeded.Patient}", (string?)accounting["patient"]);
        var recipient = accounting["recipients"]!.AsArray().Single()!;
        Assert.Equal(Vendor, (string?)recipient["recipient"]);
        var permitted = recipient["permitted"]!.AsArray().Single()!;
        Assert.Equal(seeded.DecisionId, (string?)permitted["decisionId"]);
        Assert.Equal($"Consent/{seeded.ConsentId}/_history/1", (string?)permitted["consent"]);
        Assert.Equal("MLTRAINING", (string?)permitted["purpose"]!["code"]);
        var exported = recipient["exported"]!.AsArray().Single()!;
        Assert.Equal(stored.Id, (string?)exported["eventId"]);
        Assert.Equal($"ImagingStudy/{seeded.StudyId}", (string?)exported["imagingStudy"]);
        Assert.Equal(seeded.DecisionId, (string?)exported["decision"]);
        Assert.Equal($"Consent/{seeded.ConsentId}/_history/1", (string?)exported["consent"]);
    }

    [Fact]
    public async Task A_disclosure_without_a_known_study_or_a_recipient_is_refused_and_nothing_is_stored()
    {
        var seeded = await SeedAsync();
        var before = (await SearchAsync($"patient=Patient/{seeded.Patient}")).Count;
        var noRecipient = await PostDisclosureAsync(Disclosure($"ImagingStudy/{seeded.StudyId}", null, recipient: null));
        var noStudy = await PostDisclosureAsync(Disclosure(null, null, Vendor));
        var unknownStudy = await PostDisclosureAsync(Disclosure(null, TestData.NewUid(), Vendor));
        var notExport = Disclosure($"ImagingStudy/{seeded.StudyId}", null, Vendor);
        notExport.Type = new Coding(Dcm, "110107", "Import");
        var wrongType = await PostDisclosureAsync(notExport);
        foreach (var response in new[] { noRecipient, noStudy, unknownStudy, wrongType })
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
            Assert.Contains("OperationOutcome", await response.Content.ReadAsStringAsync());
        }
        Assert.Equal(before, (await SearchAsync($"patient=Patient/{seeded.Patient}")).Count);
        using var http = factory.CreateClient();
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("/api/v1/disclosures?patient=Organization/x")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("/api/v1/disclosures")).StatusCode);
    }

    [Fact]
    public async Task Capability_statement_declares_audit_event_with_its_interactions_and_the_decision_parameter()
    {
        var capabilities = await factory.FhirClient().CapabilityStatementAsync();
        var audit = capabilities!.Rest[0].Resource.Single(r => r.Type == "AuditEvent");
        Assert.Equal(
            [CapabilityStatement.TypeRestfulInteraction.Read, CapabilityStatement.TypeRestfulInteraction.SearchType, CapabilityStatement.TypeRestfulInteraction.Create],
            audit.Interaction.Select(i => i.Code!.Value));
        Assert.Equal(["date", "type", "subtype", "action", "outcome", "agent", "entity", "patient", "source", "decision", "_id", "_lastUpdated"],
            audit.SearchParam.Select(p => p.Name));
        Assert.StartsWith("urn:", audit.SearchParam.Single(p => p.Name == "decision").Definition);
    }

    [Fact]
    public async Task Verify_reports_a_valid_chain_and_checks_an_anchored_head()
    {
        await SeedAsync();
        using var http = factory.CreateClient();
        var verify = JsonNode.Parse(await http.GetStringAsync("/api/v1/audit/verify"))!;
        Assert.True((bool)verify["valid"]!);
        Assert.True((long)verify["events"]! >= 3);
        var head = (string)verify["head"]!;
        Assert.Null((string?)verify["firstInvalid"]);
        await SeedAsync();
        var anchored = JsonNode.Parse(await http.GetStringAsync($"/api/v1/audit/verify?head={head}"))!;
        Assert.True((bool)anchored["valid"]!);
        Assert.True((bool)anchored["anchoredHeadFound"]!);
        var unknown = JsonNode.Parse(await http.GetStringAsync($"/api/v1/audit/verify?head={new string('a', 64)}"))!;
        Assert.False((bool)unknown["valid"]!);
        Assert.False((bool)unknown["anchoredHeadFound"]!);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("/api/v1/audit/verify?head=xyz")).StatusCode);
    }
}
