using System.Text.Json.Nodes;
using ConsentService.Application;
using ConsentService.Application.Ports;
using ConsentService.Infrastructure;
using ConsentService.Infrastructure.Cosmos;
using ConsentService.Infrastructure.Sqlite;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Options;
using static ConsentService.Stores.Tests.StoreTestData;

namespace ConsentService.Stores.Tests.Cosmos;

/// <summary>What is specific to the Cosmos store: bootstrap, several writers, crash recovery, the audit log.</summary>
[Collection(CosmosServerCollection.Name)]
public sealed class CosmosStoreTests(CosmosServerFixture server) : IDisposable
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly CosmosTestDatabases _databases = new(server);

    public void Dispose() => _databases.Dispose();

    private static Task<(int Succeeded, List<Exception> Failures)> RaceAsync(int count, Func<int, Task> call) =>
        Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            try
            {
                await Task.Yield();
                await call(i);
                return (Exception?)null;
            }
            catch (Exception ex)
            {
                return ex;
            }
        })).ContinueWith(t => (t.Result.Count(e => e is null), t.Result.OfType<Exception>().ToList()), TaskScheduler.Default);

    [Fact]
    public async Task Database_and_containers_are_created_at_start_and_reopening_keeps_the_data()
    {
        var name = "boot" + Guid.NewGuid().ToString("N");
        await using (var store = await _databases.OpenStoreAsync(name))
        {
            foreach (var container in new[] { CosmosContainers.ResourcesName, CosmosContainers.AuditName })
            {
                var properties = (await _databases.Client.GetDatabase(name).GetContainer(container).ReadContainerAsync()).Resource;
                Assert.Equal(CosmosContainers.PartitionKeyPath, properties.PartitionKeyPath);
            }
            await store.CreateAsync(Write("c1"), None);
        }
        await using var reopened = await _databases.OpenStoreAsync(name);
        Assert.Equal(1, (await reopened.ReadAsync(Consent, "c1", None))!.VersionId);
        Assert.Equal(1, await reopened.CurrentSequenceAsync(None));
    }

    [Fact]
    public async Task Two_writers_on_one_database_racing_unconditional_updates_lose_no_update()
    {
        var name = "two" + Guid.NewGuid().ToString("N");
        await using var a = await _databases.OpenStoreAsync(name);
        await using var b = await _databases.OpenStoreAsync(name);
        await a.CreateAsync(Write("c1", [TokenEntry("status", null, "active")]), None);

        // two store instances share no in-process queue: every conflict goes through the pointer's ETag
        var (succeeded, failures) = await RaceAsync(20, i => (i % 2 == 0 ? a : b).UpsertAsync(Write("c1", [TokenEntry("status", null, "active")], status: "s" + i), None));

        Assert.Empty(failures);
        Assert.Equal(20, succeeded);
        var history = await b.HistoryAsync(Consent, "c1", new HistoryQuery(100), None);
        Assert.Equal(Enumerable.Range(1, 21).Reverse(), history.Versions.Select(v => v.VersionId));
        Assert.Equal(20, history.Versions.Take(20).Select(v => (string?)JsonNode.Parse(v.Json)!["status"]).Distinct().Count());
        var sequences = history.Versions.Select(v => v.Sequence).ToList();
        Assert.Equal(sequences.OrderDescending(), sequences);
        Assert.Single((await a.SearchAsync(Query(Token("status", null, "active")), None)).Resources);
    }

    [Fact]
    public async Task Two_writers_with_the_same_if_match_have_exactly_one_winner_and_the_loser_sees_412()
    {
        var name = "etag" + Guid.NewGuid().ToString("N");
        await using var a = await _databases.OpenStoreAsync(name);
        await using var b = await _databases.OpenStoreAsync(name);
        await a.CreateAsync(Write("c1"), None);

        var (succeeded, failures) = await RaceAsync(10, i => (i % 2 == 0 ? a : b).UpsertAsync(Write("c1", ifMatch: 1, status: "s" + i), None));

        Assert.Equal(1, succeeded);
        Assert.All(failures, f => Assert.IsType<PreconditionFailedException>(f));
        Assert.Equal(2, (await b.ReadAsync(Consent, "c1", None))!.VersionId);
        // the losers left nothing behind: the next write is version 3 and the sequence has no pending intents
        var (next, _) = await a.UpsertAsync(Write("c1", ifMatch: 2), None);
        Assert.Equal(3, next.VersionId);
        Assert.Equal(next.Sequence, await b.CurrentSequenceAsync(None));
    }

    [Fact]
    public async Task Retried_conditional_create_is_idempotent()
    {
        await using var store = await _databases.OpenStoreAsync();
        var criteria = Query(Token("identifier", "sys", "x"));
        var write = Write("c1", [TokenEntry("identifier", "sys", "x")]);

        var (first, created) = await store.CreateIfNoneExistAsync(write, criteria, None);
        var (again, createdAgain) = await store.CreateIfNoneExistAsync(write, criteria, None);

        Assert.True(created);
        Assert.False(createdAgain);
        Assert.Equal(first, again);
        Assert.Equal(1, (await store.HistoryAsync(Consent, null, new HistoryQuery(10), None)).Total);
    }

    [Fact]
    public async Task A_writer_dying_between_version_and_pointer_is_never_seen_and_the_sweep_removes_its_traces()
    {
        var lease = TimeSpan.FromSeconds(4); // long enough that a write under a loaded test run does not fence itself (2 s did once, on a loaded 2-core machine)
        await using var store = await _databases.OpenStoreAsync(lease: lease);
        var v1 = await store.CreateAsync(Write("s1", [ReferenceEntry("patient", "Patient/p1")], keys: ["uid-1"], type: Study), None);

        store.StepHook = step => step == "version-written" ? throw new SimulatedCrashException() : Task.CompletedTask;
        await Assert.ThrowsAsync<SimulatedCrashException>(() => store.UpsertAsync(Write("s1", [ReferenceEntry("patient", "Patient/p2")], keys: ["uid-2"], type: Study, status: "dead"), None));
        await Assert.ThrowsAsync<SimulatedCrashException>(() => store.CreateAsync(Write("s2", [ReferenceEntry("patient", "Patient/p2")], keys: ["uid-3"], type: Study), None));
        store.StepHook = null;

        // the version documents, postings and key claims exist, but nothing reads them as committed
        var bucket = CosmosKeys.Bucket(Study, "s1");
        Assert.NotNull((await CosmosDocumentIo.ReadAsync<ResourceDoc>(store.Containers.Resources, CosmosKeys.VersionId("s1", 2), bucket, None)).Doc);
        Assert.Equal(v1, await store.ReadAsync(Study, "s1", None));
        Assert.Null(await store.ReadVersionAsync(Study, "s1", 2, None));
        Assert.Null(await store.ReadAsync(Study, "s2", None));
        Assert.Equal([1], (await store.HistoryAsync(Study, "s1", new HistoryQuery(10), None)).Versions.Select(v => v.VersionId));
        Assert.Equal(v1, await store.FindByUniqueKeyAsync(Study, "uid-1", None));
        Assert.Null(await store.FindByUniqueKeyAsync(Study, "uid-2", None));
        Assert.Null(await store.FindByUniqueKeyAsync(Study, "uid-3", None));
        Assert.Equal(v1, await store.ReadAsOfAsync(Study, "s1", long.MaxValue, None));

        // a search needs a stable snapshot: it waits out the dead writers' lease, then the sweep resolves them
        var started = DateTimeOffset.UtcNow;
        var byNewPatient = await store.SearchAsync(new SearchQuery(Study, [Reference("patient", "Patient/p2")], [], 10), None);
        Assert.Empty(byNewPatient.Resources);
        Assert.True(DateTimeOffset.UtcNow - started < lease * 4);
        var byOldPatient = await store.SearchAsync(new SearchQuery(Study, [Reference("patient", "Patient/p1")], [], 10), None);
        Assert.Equal(v1, byOldPatient.Resources.Single());
        Assert.Equal(v1.Sequence, await store.CurrentSequenceAsync(None) - 2); // two numbers used by the dead writes, none pending

        Assert.Null((await CosmosDocumentIo.ReadAsync<ResourceDoc>(store.Containers.Resources, CosmosKeys.VersionId("s1", 2), bucket, None)).Doc);
        Assert.Null((await CosmosDocumentIo.ReadAsync<UniqueKeyDoc>(store.Containers.Resources, "u", CosmosKeys.UniqueKey(Study, "uid-3"), None)).Doc);
        var postings = await CosmosContainers.QueryPartitionAsync<PostingDoc>(store.Containers.Resources, CosmosKeys.Posting(Study, "patient", SearchParamType.Reference, "Patient/p2")!,
            "SELECT * FROM c WHERE c.pk = @pk", [], None);
        Assert.Empty(postings);

        // and writing goes on where the committed state left it
        var (v2, _) = await store.UpsertAsync(Write("s1", keys: ["uid-2"], type: Study), None);
        Assert.Equal(2, v2.VersionId);
        Assert.Equal(v2, await store.FindByUniqueKeyAsync(Study, "uid-2", None));
        Assert.Equal(1, (await store.CreateAsync(Write("s2", keys: ["uid-3"], type: Study), None)).VersionId);
    }

    [Fact]
    public async Task Writes_blocked_by_a_dead_writers_version_resume_after_the_lease()
    {
        await using var store = await _databases.OpenStoreAsync(lease: TimeSpan.FromSeconds(4));
        await store.CreateAsync(Write("c1"), None);
        store.StepHook = step => step == "version-written" ? throw new SimulatedCrashException() : Task.CompletedTask;
        await Assert.ThrowsAsync<SimulatedCrashException>(() => store.UpsertAsync(Write("c1", status: "dead"), None));
        store.StepHook = null;

        var (next, _) = await store.UpsertAsync(Write("c1", status: "alive"), None);

        Assert.Equal(2, next.VersionId);
        Assert.Contains("alive", (await store.ReadVersionAsync(Consent, "c1", 2, None))!.Json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Audit_records_are_appended_durably_read_by_id_and_retries_are_idempotent()
    {
        await using var store = await _databases.OpenStoreAsync();
        var log = store.AuditLog;
        var at = new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero).AddTicks(12340);
        var records = Enumerable.Range(0, 25).Select(i => new AuditRecord("ae-" + i, at.AddSeconds(i), $$"""{"resourceType":"AuditEvent","id":"ae-{{i}}"}""")).ToList();

        await Task.WhenAll(records.Chunk(5).Select(chunk => log.AppendAsync(chunk, None)));
        await log.AppendAsync(records.Take(3).ToList(), None); // a retry of an append whose answer was lost

        foreach (var record in records)
            Assert.Equal(record, await log.ReadAsync(record.Id, None));
        Assert.Null(await log.ReadAsync("nope", None));
        await Assert.ThrowsAsync<CosmosException>(() => log.AppendAsync([records[0] with { Json = "{}" }], None));
    }

    [Fact]
    public async Task Sequence_at_an_instant_is_the_last_commit_at_or_before_it()
    {
        await using var store = await _databases.OpenStoreAsync();
        Assert.Equal(0, await store.SequenceAtAsync(DateTimeOffset.UtcNow, None));
        var a = await store.CreateAsync(Write("a"), None);
        await Task.Delay(5);
        var b = await store.CreateAsync(Write("b"), None);

        Assert.Equal(0, await store.SequenceAtAsync(a.LastUpdated.AddTicks(-10), None));
        Assert.Equal(a.Sequence, await store.SequenceAtAsync(a.LastUpdated, None));
        Assert.Equal(a.Sequence, await store.SequenceAtAsync(b.LastUpdated.AddTicks(-10), None));
        Assert.Equal(b.Sequence, await store.SequenceAtAsync(DateTimeOffset.UtcNow.AddDays(1), None));
    }
}

/// <summary>Options validation and registration of the Cosmos provider.</summary>
public sealed class CosmosStorageOptionsTests
{
    private static ValidateOptionsResult Validate(StorageOptions options, string environment = "Development") =>
        new StorageOptionsValidator(new HostingEnvironment { EnvironmentName = environment }).Validate(null, options);

    private static StorageOptions Cosmos(bool disableValidation = false) => new()
    {
        Provider = "Cosmos",
        Cosmos = new CosmosOptions { ConnectionString = "AccountEndpoint=https://127.0.0.1:1/;AccountKey=a;", Database = "consents", DisableServerCertificateValidation = disableValidation },
    };

    [Fact]
    public void Cosmos_with_connection_string_and_database_is_accepted() => Assert.True(Validate(Cosmos()).Succeeded);

    [Fact]
    public void Cosmos_without_settings_is_refused_naming_each_missing_key()
    {
        var result = Validate(new StorageOptions { Provider = "Cosmos" });
        Assert.True(result.Failed);
        Assert.Contains("Storage:Cosmos:ConnectionString", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Storage:Cosmos:Database", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Disabling_certificate_validation_is_refused_in_production_only()
    {
        Assert.True(Validate(Cosmos(disableValidation: true), "Development").Succeeded);
        var production = Validate(Cosmos(disableValidation: true), Environments.Production);
        Assert.True(production.Failed);
        Assert.Contains("DisableServerCertificateValidation", production.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Provider_cosmos_registers_the_cosmos_store_and_nothing_sqlite()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "Cosmos",
            ["Storage:Cosmos:ConnectionString"] = "AccountEndpoint=https://127.0.0.1:1/;AccountKey=a;",
            ["Storage:Cosmos:Database"] = "consents",
        }).Build();
        var services = new ServiceCollection().AddStorage(configuration);

        Assert.Contains(services, d => d.ServiceType == typeof(CosmosStoreConnection));
        Assert.DoesNotContain(services, d => d.ServiceType == typeof(SqliteResourceStore) || d.ServiceType == typeof(SqliteOptions)
            || d.ServiceType.IsGenericType && d.ServiceType.GenericTypeArguments.Contains(typeof(SqliteOptions)));
    }
}
