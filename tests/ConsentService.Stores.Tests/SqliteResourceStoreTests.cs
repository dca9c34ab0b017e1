using ConsentService.Application;
using ConsentService.Application.Ports;
using ConsentService.Infrastructure.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using static ConsentService.Stores.Tests.StoreTestData;

namespace ConsentService.Stores.Tests;

/// <summary>A temporary folder for database files, deleted with everything in it.</summary>
public sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateDirectory(
        System.IO.Path.Combine(System.IO.Path.GetTempPath(), "consent-store-tests", Guid.NewGuid().ToString("N"))).FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        if (Directory.Exists(Path))
            Directory.Delete(Path, recursive: true);
    }
}

/// <summary>The store contract on a SQLite file in a temporary folder.</summary>
public sealed class SqliteResourceStoreTests : ResourceStoreContract
{
    private readonly TempFolder _folder = new();

    protected override Task<IResourceStore> CreateEmptyStoreAsync() =>
        Task.FromResult<IResourceStore>(new SqliteResourceStore(new SqliteOptions { Path = _folder.File("store.db") }));

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _folder.Dispose();
    }
}

/// <summary>What is specific to the SQLite store: pragmas, migrations, the file.</summary>
public sealed class SqliteStoreFileTests : IDisposable
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private SqliteResourceStore Open(string name = "store.db") => new(new SqliteOptions { Path = _folder.File(name) });

    private static SqliteConnection Raw(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar();
    }

    [Fact]
    public async Task A_second_store_on_the_same_file_is_refused_while_the_first_is_open()
    {
        var first = Open();
        var refused = Assert.Throws<InvalidOperationException>(() => Open());
        Assert.Contains("held by another", refused.Message, StringComparison.Ordinal);
        await first.DisposeAsync();
        await using var second = Open(); // released with the first
        Assert.True(await second.PingAsync(None));
    }

    [Fact]
    public async Task Every_committed_write_stamps_its_keys_before_it_returns()
    {
        await using var store = Open();
        var before = store.Changes.Now();
        await store.CreateAsync(Write("c1", [ReferenceEntry("patient", "Patient/p1")]), None);
        Assert.False(store.Changes.IsCurrent(before, "Consent/c1"));
        Assert.False(store.Changes.IsCurrent(before, WriteStamps.PatientReferenceKey("Patient/p1")));
        Assert.True(store.Changes.IsCurrent(before, WriteStamps.PatientReferenceKey("Patient/p2")));

        var afterCreate = store.Changes.Now();
        await store.DeleteAsync(Consent, "c1", null, None);
        Assert.False(store.Changes.IsCurrent(afterCreate, "Consent/c1"));

        var afterDelete = store.Changes.Now();
        await store.TransactAsync([new CreateOperation(Write("s1", type: Study))], None);
        Assert.False(store.Changes.IsCurrent(afterDelete, "ImagingStudy/s1"));
        Assert.True(store.Changes.IsCurrent(afterDelete, "Consent/c1"));
    }

    [Fact]
    public async Task Wal_and_synchronous_full_and_foreign_keys_are_in_effect_on_writer_and_readers()
    {
        await using var store = Open();

        Assert.Equal(("wal", "wal"), await store.PragmaAsync("journal_mode"));
        Assert.Equal(("2", "2"), await store.PragmaAsync("synchronous")); // 2 = FULL
        Assert.Equal(("1", "1"), await store.PragmaAsync("foreign_keys"));
        using var raw = Raw(store.Path);
        Assert.Equal("wal", Scalar(raw, "PRAGMA journal_mode;")); // persistent in the file
    }

    [Fact]
    public async Task A_stream_of_several_chunks_returns_every_match_once_in_id_order()
    {
        await using var store = Open();
        var ids = Enumerable.Range(0, SqliteResourceStore.StreamChunk * 2 + 7).Select(_ => Guid.NewGuid().ToString()).ToList();
        foreach (var part in ids.Chunk(2000))
            await store.TransactAsync([.. part.Select(id => (TransactionOperation)new CreateOperation(Write(id, index: [TokenEntry("category", "urn:c", "x")])))], None);
        var streamed = new List<string>();
        await foreach (var resource in store.StreamAsync(Query(Token("category", "urn:c", "x")), None))
            streamed.Add(resource.Id);
        Assert.Equal(ids.Order(StringComparer.Ordinal), streamed);
    }

    [Fact]
    public async Task A_stream_lists_its_matches_from_the_stream_index_without_reading_their_rows()
    {
        await using var store = Open();
        for (var i = 0; i < 20; i++)
            await store.CreateAsync(Write($"s{i}", index: [TokenEntry("category", "urn:c", i % 2 == 0 ? "x" : "y")]), None);
        var query = new SearchQuery(StoreTestData.Consent, [Token("category", "urn:c", "x"), Token("category", "urn:c", null)], [], Count: 0);
        var plan = store.Read(session =>
        {
            using var order = SqliteSearch.StreamOrderCommand(session, query, long.MaxValue);
            using var explain = session.AdHoc("EXPLAIN QUERY PLAN " + order.Command.CommandText);
            foreach (SqliteParameter parameter in order.Command.Parameters)
                explain.Parameters.AddWithValue(parameter.ParameterName, parameter.Value);
            var details = new List<string>();
            using var rows = explain.ExecuteReader();
            while (rows.Read())
                details.Add(rows.GetString(3));
            return details;
        });
        // The bundled SQLite's plan: the listing reads ix_version_stream only (a covering index), never the table.
        Assert.Contains(plan, d => d.Contains("COVERING INDEX ix_version_stream", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, d => d.StartsWith("SCAN r", StringComparison.Ordinal) || d.Contains("USING INDEX ix_version_type_seq", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_new_file_is_migrated_to_the_latest_schema_version_in_a_created_folder()
    {
        var path = _folder.File(System.IO.Path.Combine("nested", "deeper", "new.db"));
        await using (var store = new SqliteResourceStore(new SqliteOptions { Path = path }))
            Assert.True(await store.PingAsync(None));

        Assert.True(File.Exists(path));
        using var raw = Raw(path);
        Assert.Equal((long)SqliteMigrations.LatestVersion, Scalar(raw, "SELECT MAX(version) FROM schema_version;"));
        Assert.Equal((long)SqliteMigrations.Scripts.Count, Scalar(raw, "SELECT COUNT(*) FROM schema_version;"));
        Assert.True(SqliteMigrations.LatestVersion >= 2);
    }

    [Fact]
    public async Task An_older_schema_is_migrated_and_its_data_kept()
    {
        var path = _folder.File("old.db");
        using (var raw = Raw(path))
        {
            Assert.Equal(1, SqliteMigrations.Apply(raw, upTo: 1));
            Scalar(raw, "INSERT INTO resource_version (type, id, version_id, last_updated, deleted, json) VALUES ('Consent', 'old', 1, 637134336000000000, 0, '{\"resourceType\":\"Consent\"}');");
            Assert.Equal(0L, Scalar(raw, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'ix_token_system';"));
        }

        await using (var store = new SqliteResourceStore(new SqliteOptions { Path = path }))
        {
            var old = await store.ReadAsync(Consent, "old", None);
            Assert.Equal(1, old!.VersionId);
            var (next, _) = await store.UpsertAsync(Write("old"), None);
            Assert.Equal(2, next.VersionId);
            Assert.True(next.LastUpdated > old.LastUpdated);
        }

        using (var raw = Raw(path))
        {
            Assert.Equal((long)SqliteMigrations.LatestVersion, Scalar(raw, "SELECT MAX(version) FROM schema_version;"));
            Assert.Equal(1L, Scalar(raw, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'ix_token_system';"));
        }
    }

    [Fact]
    public async Task Reopening_a_file_keeps_versions_keys_and_index_and_continues_the_sequence()
    {
        StoredResource first;
        await using (var store = Open())
        {
            first = await store.CreateAsync(Write("s1", [TokenEntry("status", null, "active")], ["uid-1"], type: Study), None);
            await store.UpsertAsync(Write("s1", [TokenEntry("status", null, "active")], ["uid-1"], type: Study), None);
        }

        await using (var store = Open())
        {
            var current = await store.ReadAsync(Study, "s1", None);
            Assert.Equal(2, current!.VersionId);
            Assert.Equal(first, await store.ReadVersionAsync(Study, "s1", 1, None));
            Assert.Equal(current, await store.FindByUniqueKeyAsync(Study, "uid-1", None));
            Assert.Equal(1, (await store.SearchAsync(new SearchQuery(Study, [Token("status", null, "active")], [], 10), None)).Total);
            var next = await store.CreateAsync(Write("s2", type: Study), None);
            Assert.True(next.Sequence > current.Sequence);
            Assert.True(next.LastUpdated > current.LastUpdated);
        }
    }

    [Fact]
    public async Task Versions_are_immutable_rows_with_validity_ranges()
    {
        await using var store = Open();
        var v1 = await store.CreateAsync(Write("c1"), None);
        var (v2, _) = await store.UpsertAsync(Write("c1"), None);

        using var raw = Raw(store.Path);
        Assert.Equal(v2.Sequence, Scalar(raw, $"SELECT valid_to FROM resource_version WHERE seq = {v1.Sequence};"));
        Assert.Equal(long.MaxValue, Scalar(raw, $"SELECT valid_to FROM resource_version WHERE seq = {v2.Sequence};"));
        Assert.Equal(v1.Json, Scalar(raw, $"SELECT json FROM resource_version WHERE seq = {v1.Sequence};"));
    }

    [Fact]
    public async Task Dependency_injection_registers_one_store_and_disposes_it()
    {
        var path = _folder.File("di.db");
        var services = new ServiceCollection();
        services.AddSqliteStore(o => o.Path = path);
        await using (var provider = services.BuildServiceProvider())
        {
            var store = provider.GetRequiredService<IResourceStore>();
            Assert.IsType<SqliteResourceStore>(store);
            Assert.Same(store, provider.GetRequiredService<IResourceStore>());
            Assert.Same(store, provider.GetRequiredService<SqliteResourceStore>());
            await store.CreateAsync(Write("c1"), None);
        }
        // after disposal no connection holds the file: a checkpointed WAL is removed on last close
        Assert.False(File.Exists(path + "-wal"));
    }

    [Fact]
    public async Task A_failing_unit_in_a_group_commit_does_not_undo_the_others()
    {
        await using var store = Open();
        await store.CreateAsync(Write("taken"), None);
        var writes = Enumerable.Range(0, 50)
            .Select(i => i % 5 == 0
                ? store.CreateAsync(Write("taken"), None)
                : store.CreateAsync(Write("c" + i), None))
            .ToList();
        var outcomes = await Task.WhenAll(writes.Select(async t => { try { await t; return true; } catch (ConsentService.Application.ResourceConflictException) { return false; } }));

        Assert.Equal(40, outcomes.Count(o => o));
        Assert.Equal(41, (await store.SearchAsync(Query() with { Count = 0, SummaryCount = true }, None)).Total);
    }
}

/// <summary>Conditional creates in a transaction on the SQLite store, which stamps its writes: criteria searched
/// before <see cref="CreateOperation.CheckedAt"/> are not searched again when nothing since can have changed their
/// answer, and are whenever something may have.</summary>
public sealed class SqliteConditionalTransactionTests : IAsyncLifetime
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly TempFolder _folder = new();
    private SqliteResourceStore _store = null!;

    public Task InitializeAsync()
    {
        _store = new SqliteResourceStore(new SqliteOptions { Path = _folder.File("conditional.db") });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _folder.Dispose();
    }

    private static ResourceWrite WithIdentifier(string id, string value) => Write(id, [TokenEntry("identifier", "sys", value)]);

    private static SearchQuery ByIdentifier(string value) => Query(Token("identifier", "sys", value));

    private static CreateOperation Create(string id, string value, string? expected, long checkedAt) =>
        new(WithIdentifier(id, value), ByIdentifier(value), expected, checkedAt);

    [Fact]
    public async Task Unchanged_criteria_create_or_match_as_prepared()
    {
        await _store.CreateAsync(WithIdentifier("x", "x-1"), None);
        var checkedAt = _store.Changes.Now();
        await _store.CreateAsync(WithIdentifier("other", "other-1"), None); // another identifier: no effect on the answer

        var outcomes = await _store.TransactAsync([Create("n", "n-1", null, checkedAt), Create("x2", "x-1", "x", checkedAt)], None);
        Assert.True(outcomes[0].Created);
        Assert.Equal("n", outcomes[0].Resource!.Id);
        Assert.False(outcomes[1].Created);
        Assert.Equal("x", outcomes[1].Resource!.Id);
        Assert.Null(await _store.ReadAsync(Consent, "x2", None));
    }

    [Fact]
    public async Task A_match_written_after_the_criteria_were_searched_fails_the_transaction()
    {
        var checkedAt = _store.Changes.Now();
        await _store.CreateAsync(WithIdentifier("first", "a-1"), None);
        await Assert.ThrowsAsync<PreconditionFailedException>(() => _store.TransactAsync([Create("second", "a-1", null, checkedAt)], None));
        Assert.Null(await _store.ReadAsync(Consent, "second", None));
    }

    [Fact]
    public async Task A_match_written_earlier_in_the_same_transaction_fails_it()
    {
        var checkedAt = _store.Changes.Now();
        await Assert.ThrowsAsync<PreconditionFailedException>(() =>
            _store.TransactAsync([Create("one", "b-1", null, checkedAt), Create("two", "b-1", null, checkedAt)], None));
        Assert.Null(await _store.ReadAsync(Consent, "one", None));
    }

    [Fact]
    public async Task A_matched_resource_changed_after_the_criteria_were_searched_fails_the_transaction()
    {
        await _store.CreateAsync(WithIdentifier("m", "c-1"), None);
        var checkedAt = _store.Changes.Now();
        await _store.UpsertAsync(WithIdentifier("m", "c-2"), None); // no longer carries c-1
        await Assert.ThrowsAsync<PreconditionFailedException>(() => _store.TransactAsync([Create("m2", "c-1", "m", checkedAt)], None));
        Assert.Null(await _store.ReadAsync(Consent, "m2", None));
    }
}
