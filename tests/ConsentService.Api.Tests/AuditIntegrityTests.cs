using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Task = System.Threading.Tasks.Task;

namespace ConsentService.Api.Tests;

/// <summary>Tamper evidence (rows edited, deleted, reordered in the SQLite file) and export resumption under
/// concurrent writes. Each test has its own service and file.</summary>
public sealed class AuditIntegrityTests : IDisposable
{
    private readonly ConsentServiceFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    private async Task<List<string>> DecideManyAsync(int count)
    {
        var client = _factory.FhirClient();
        var patient = TestData.NewId();
        var uid = TestData.NewUid();
        await client.CreateAsync(TestData.Study(patient, uid));
        await client.CreateAsync(TestData.Consent(patient));
        using var http = _factory.CreateClient();
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var response = await http.PostAsync("/api/v1/decisions",
                new StringContent(JsonSerializer.Serialize(new { study = uid, actor = "Organization/acme-ai" }), Encoding.UTF8, "application/json"));
            ids.Add((string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["decisionId"]!);
        }
        return ids;
    }

    private async Task<JsonNode> VerifyAsync()
    {
        using var http = _factory.CreateClient();
        return JsonNode.Parse(await http.GetStringAsync("/api/v1/audit/verify"))!;
    }

    private void Tamper(string sql, params (string Name, object Value)[] parameters)
    {
        using var raw = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _factory.DatabasePath, Pooling = false }.ToString());
        raw.Open();
        using var cmd = raw.CreateCommand();
        cmd.CommandText = "PRAGMA foreign_keys=OFF; " + sql; // an attacker with the file is not held by constraints
        foreach (var (name, value) in parameters) cmd.Parameters.AddWithValue(name, value);
        Assert.True(cmd.ExecuteNonQuery() > 0);
    }

    [Fact]
    public async Task An_edited_record_is_reported_by_its_id()
    {
        var ids = await DecideManyAsync(5);
        Assert.True((bool)(await VerifyAsync())["valid"]!);
        // A decision's stored form is its decision record (DecisionAuditEvent): turn its permit into a deny.
        Tamper("UPDATE audit_event SET json = replace(json, '\"decision\":\"permit\"', '\"decision\":\"deny\"') WHERE id = $id;", ("$id", ids[2]));
        var verify = await VerifyAsync();
        Assert.False((bool)verify["valid"]!);
        Assert.Equal(ids[2], (string?)verify["firstInvalid"]);
        Assert.Contains("altered", (string?)verify["reason"]);
    }

    [Fact]
    public async Task A_deleted_record_is_reported_at_the_record_after_the_gap()
    {
        var ids = await DecideManyAsync(5);
        Tamper("DELETE FROM audit_event WHERE id = $id;", ("$id", ids[2]));
        var verify = await VerifyAsync();
        Assert.False((bool)verify["valid"]!);
        Assert.Equal(ids[3], (string?)verify["firstInvalid"]);
        Assert.Contains("missing", (string?)verify["reason"]);
    }

    [Fact]
    public async Task Reordered_records_are_reported_where_the_order_breaks()
    {
        var ids = await DecideManyAsync(5);
        // Swap the content of two rows, hashes and links included: each row is intact, the order is not.
        Tamper("""
            UPDATE audit_event SET id = id || '#', json = json || ' ' WHERE id IN ($a, $b);
            UPDATE audit_event AS t SET id = s.id, recorded = s.recorded, json = s.json, prev_hash = s.prev_hash, hash = s.hash
            FROM (SELECT seq, substr(id, 1, length(id) - 1) AS id, recorded, substr(json, 1, length(json) - 1) AS json, prev_hash, hash
                  FROM audit_event WHERE id IN ($a || '#', $b || '#')) AS s
            WHERE t.id IN ($a || '#', $b || '#') AND t.seq <> s.seq;
            """, ("$a", ids[1]), ("$b", ids[3]));
        var verify = await VerifyAsync();
        Assert.False((bool)verify["valid"]!);
        Assert.Equal(ids[3], (string?)verify["firstInvalid"]); // the record now found at the second position
        Assert.Contains("reordered", (string?)verify["reason"]);
        using var http = _factory.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/fhir/AuditEvent/{ids[1]}")).StatusCode);
    }

    [Fact]
    public async Task Export_resumed_under_concurrent_writes_skips_and_repeats_nothing()
    {
        await DecideManyAsync(3);
        using var http = _factory.CreateClient();
        var exported = new List<string>();
        string? cursor = null;
        using var stop = new CancellationTokenSource();
        var writers = Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            var client = _factory.FhirClient();
            while (!stop.IsCancellationRequested)
            {
                await client.CreateAsync(TestData.Consent(TestData.NewId()));
            }
        }));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (exported.Count < 150 && DateTime.UtcNow < deadline)
        {
            var lines = (await http.GetStringAsync($"/api/v1/audit/export?limit=7{(cursor is null ? "" : "&cursor=" + cursor)}"))
                .Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var end = JsonNode.Parse(lines[^1])!;
            Assert.Equal(lines.Length - 1, (int)end["events"]!);
            exported.AddRange(lines[..^1].Select(l => (string)JsonNode.Parse(l)!["id"]!));
            cursor = (string)end["cursor"]!;
        }
        await stop.CancelAsync();
        await writers;
        // Drain what is left, then compare with the whole trail in commit order.
        while (true)
        {
            var lines = (await http.GetStringAsync($"/api/v1/audit/export?limit=1000&cursor={cursor}")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            exported.AddRange(lines[..^1].Select(l => (string)JsonNode.Parse(l)!["id"]!));
            cursor = (string)JsonNode.Parse(lines[^1])!["cursor"]!;
            if (lines.Length == 1) break;
        }
        var all = (await http.GetStringAsync("/api/v1/audit/export?limit=100000")).Split('\n', StringSplitOptions.RemoveEmptyEntries)[..^1]
            .Select(l => (string)JsonNode.Parse(l)!["id"]!).ToList();
        Assert.True(exported.Count >= 150, "the export kept up with concurrent writes");
        Assert.Equal(all, exported);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("/api/v1/audit/export?cursor=bogus")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("/api/v1/audit/export?limit=0")).StatusCode);
    }
}
