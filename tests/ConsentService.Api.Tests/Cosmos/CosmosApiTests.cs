using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ConsentService.Stores.Tests.Cosmos;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace ConsentService.Api.Tests.Cosmos;

/// <summary>The decision conformance corpus through the API on Cosmos DB: a fresh database per case on the one server.</summary>
[Collection(CosmosServerCollection.Name)]
public sealed class CosmosConformanceHttpTests(CosmosServerFixture server) : ConformanceHttpTests
{
    protected override ConsentServiceFactory CreateFactory(string policy) =>
        new CosmosServiceFactory(server, settings: new Dictionary<string, string> { ["Decisions:DefaultPolicy"] = policy });
}

/// <summary>The audit trail tests (each event kind, search, immutability, disclosures, verify) on Cosmos DB,
/// a fresh service and database per test.</summary>
[Collection(CosmosServerCollection.Name)]
public sealed class CosmosAuditTrailTests : AuditTrailTests, IDisposable
{
    private readonly CosmosServiceFactory _factory;

    public CosmosAuditTrailTests(CosmosServerFixture server) : this(new CosmosServiceFactory(server)) { }

    private CosmosAuditTrailTests(CosmosServiceFactory factory) : base(factory) => _factory = factory;

    public void Dispose() => _factory.Dispose();
}

/// <summary>Several replicas on one Cosmos database, readiness, and an unreachable store.</summary>
[Collection(CosmosServerCollection.Name)]
public sealed class CosmosReplicaTests(CosmosServerFixture server)
{
    private const string Vendor = "Organization/acme-ai";

    private static async Task<(HttpStatusCode Status, JsonNode? Body)> DecideAsync(HttpClient http, string uid)
    {
        var response = await http.PostAsync("/api/v1/decisions",
            new StringContent(JsonSerializer.Serialize(new { study = uid, actor = Vendor }), Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonNode.Parse(text));
    }

    private static async Task<List<string>> ExportAsync(HttpClient http, int limit, Func<string?> cursor, Action<string> next)
    {
        var c = cursor();
        var lines = (await http.GetStringAsync($"/api/v1/audit/export?limit={limit}{(c is null ? "" : "&cursor=" + c)}")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        next((string)JsonNode.Parse(lines[^1])!["cursor"]!);
        return [.. lines[..^1].Select(l => (string)JsonNode.Parse(l)!["id"]!)];
    }

    [Fact]
    public async Task A_consent_revoked_on_one_replica_is_honoured_by_the_next_decision_on_another_and_both_trails_verify_as_one()
    {
        using var a = new CosmosServiceFactory(server);
        using var b = new CosmosServiceFactory(server, a.Database);
        var patient = TestData.NewId();
        var uid = TestData.NewUid();
        var fhirA = a.FhirClient();
        await fhirA.CreateAsync(TestData.Study(patient, uid));
        var consent = await fhirA.CreateAsync(TestData.Consent(patient));
        using var httpA = a.CreateClient();
        using var httpB = b.CreateClient();

        var before = await DecideAsync(httpB, uid);
        Assert.Equal(HttpStatusCode.OK, before.Status);
        Assert.Equal("permit", (string?)before.Body!["decision"]);

        consent!.Status = Consent.ConsentState.Inactive;
        await fhirA.UpdateAsync(consent);
        var after = await DecideAsync(httpB, uid);
        Assert.Equal("deny", (string?)after.Body!["decision"]);
        var onA = await DecideAsync(httpA, uid);
        Assert.Equal("deny", (string?)onA.Body!["decision"]);

        foreach (var http in new[] { httpA, httpB })
        {
            var verify = JsonNode.Parse(await http.GetStringAsync("/api/v1/audit/verify"))!;
            Assert.True((bool)verify["valid"]!, verify.ToJsonString());
            Assert.Equal(6, (long)verify["events"]!); // study and consent created, consent updated, three decisions
            Assert.Equal(2, verify["chains"]!.AsArray().Count); // one chain per replica
        }
        string? cursor = null;
        var exported = await ExportAsync(httpB, 100, () => cursor, c => cursor = c);
        Assert.Contains((string)before.Body!["decisionId"]!, exported);
        Assert.Contains((string)onA.Body!["decisionId"]!, exported);
    }

    [Fact]
    public async Task Export_resumed_while_two_replicas_write_skips_and_repeats_nothing()
    {
        using var a = new CosmosServiceFactory(server);
        using var b = new CosmosServiceFactory(server, a.Database);
        using var http = a.CreateClient();
        using var stop = new CancellationTokenSource();
        var writers = Task.WhenAll(new[] { a, b, a, b }.Select(async factory =>
        {
            var client = factory.FhirClient();
            while (!stop.IsCancellationRequested)
                await client.CreateAsync(TestData.Consent(TestData.NewId()));
        }));
        var exported = new List<string>();
        string? cursor = null;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (exported.Count < 60 && DateTime.UtcNow < deadline)
            exported.AddRange(await ExportAsync(http, 7, () => cursor, c => cursor = c));
        await stop.CancelAsync();
        await writers;
        List<string> rest;
        do
        {
            rest = await ExportAsync(http, 1000, () => cursor, c => cursor = c);
            exported.AddRange(rest);
        }
        while (rest.Count > 0);

        string? fromStart = null;
        var all = await ExportAsync(http, 100_000, () => fromStart, c => fromStart = c);
        Assert.True(exported.Count >= 60, "the export kept up with the writers");
        // chain by chain: the resumed export interleaves the two replicas' chains differently, but holds each record once
        Assert.Equal(exported.Count, exported.Distinct().Count());
        Assert.Equal(all.Order(StringComparer.Ordinal), exported.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Cosmos_with_connection_string_and_database_starts_and_is_ready()
    {
        using var factory = new CosmosServiceFactory(server);
        using var http = factory.CreateClient();
        var ready = await http.GetAsync("/healthz/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var body = JsonDocument.Parse(await ready.Content.ReadAsStringAsync());
        Assert.Equal("Healthy", body.RootElement.GetProperty("checks").GetProperty("store").GetProperty("status").GetString());
        Assert.False(File.Exists(factory.DatabasePath)); // nothing SQLite
    }

    [Fact]
    public async Task When_the_store_goes_away_writes_and_decisions_answer_503_and_readiness_fails()
    {
        var own = new CosmosServerFixture();
        await own.InitializeAsync();
        try
        {
            using var factory = new CosmosServiceFactory(own, settings: new Dictionary<string, string> { ["Storage:Cosmos:RequestTimeout"] = "00:00:03" });
            var patient = TestData.NewId();
            var uid = TestData.NewUid();
            await factory.FhirClient().CreateAsync(TestData.Study(patient, uid));
            await factory.FhirClient().CreateAsync(TestData.Consent(patient));
            using var http = factory.CreateClient();
            Assert.Equal("permit", (string?)(await DecideAsync(http, uid)).Body!["decision"]);

            await own.DisposeAsync(); // the store is gone

            var decision = await DecideAsync(http, uid);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, decision.Status);
            Assert.DoesNotContain("permit", decision.Body!.ToJsonString(), StringComparison.Ordinal);
            var another = TestData.Consent(patient);
            another.Id = TestData.NewId();
            var write = await http.PutAsync($"/fhir/Consent/{another.Id}", new StringContent(TestData.Json(another), Encoding.UTF8, "application/fhir+json"));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, write.StatusCode);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("/healthz/ready")).StatusCode);
        }
        finally
        {
            await own.DisposeAsync();
        }
    }
}
