using ConsentService.Application;
using ConsentService.Application.Audit;
using ConsentService.Application.Ports;
using ConsentService.Infrastructure.Sqlite;
using Microsoft.Data.Sqlite;
using static ConsentService.Stores.Tests.StoreTestData;

namespace ConsentService.Stores.Tests;

/// <summary>The SQLite audit trail: the group-commit writer's ordering, writes and their AuditEvents in one
/// transaction, and the hash chain as stored.</summary>
public sealed class SqliteAuditLogTests : IAsyncLifetime
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly TempFolder _folder = new();
    private SqliteResourceStore _store = null!;
    private SqliteAuditLog _log = null!;

    public Task InitializeAsync()
    {
        _store = new SqliteResourceStore(new SqliteOptions { Path = _folder.File("audit.db") });
        _log = new SqliteAuditLog(_store);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _folder.Dispose();
    }

    private static AuditRecord Record(string id) =>
        new(id, DateTimeOffset.UtcNow, $$"""{"resourceType":"AuditEvent","id":"{{id}}"}""")
        {
            Index = [TokenEntry("type", "urn:test", "t")],
        };

    private long VisibleAuditRows()
    {
        using var raw = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _store.Path, Pooling = false }.ToString());
        raw.Open();
        using var cmd = raw.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM audit_event;";
        return (long)cmd.ExecuteScalar()!;
    }

    [Fact]
    public async Task A_unit_rolled_back_after_appending_leaves_no_gap_in_the_chain_for_the_units_after_it()
    {
        using var hold = new ManualResetEventSlim();
        using var running = new ManualResetEventSlim();
        // Occupy the writer so that the next three units form one transaction: the chain's tail, kept for the
        // transaction, must go back to "a" when "b" rolls back, so that "c" follows "a".
        var blocker = _store.Writer.ExecuteAsync(_ => { running.Set(); hold.Wait(); return 0; }, None);
        Assert.True(running.Wait(TimeSpan.FromSeconds(10)));
        var a = _store.Writer.ExecuteAsync(s => SqliteAuditLog.AppendInTransaction(s, [Record("a")]), None);
        var b = _store.Writer.ExecuteAsync<int>(s =>
        {
            SqliteAuditLog.AppendInTransaction(s, [Record("b1"), Record("b2")]);
            throw new ResourceConflictException("b fails after appending");
        }, None);
        var c = _store.Writer.ExecuteAsync(s => SqliteAuditLog.AppendInTransaction(s, [Record("c")]), None);
        hold.Set();
        await blocker;
        await a;
        await Assert.ThrowsAsync<ResourceConflictException>(() => b);
        await c;

        var chain = await _log.ReadChainAsync(AuditChain.SingleWriter, 0, int.MaxValue, None);
        Assert.Equal(["a", "c"], chain.Select(r => r.Record.Id));
        Assert.Equal([1L, 2L], chain.Select(r => r.Sequence));
        Assert.Equal(chain[0].Hash, chain[1].PreviousHash);
        Assert.Equal(AuditChain.Hash(chain[0].Hash, 2, "c", chain[1].Record.Recorded, chain[1].Record.Json), chain[1].Hash);
    }

    [Fact]
    public async Task A_unit_alone_in_its_transaction_that_fails_after_appending_leaves_nothing_behind()
    {
        // Nothing else queued: the unit runs without a savepoint, and its failure rolls the whole transaction back.
        var b = _store.Writer.ExecuteAsync<int>(s =>
        {
            SqliteAuditLog.AppendInTransaction(s, [Record("b1"), Record("b2")]);
            throw new ResourceConflictException("b fails after appending");
        }, None);
        await Assert.ThrowsAsync<ResourceConflictException>(() => b);
        Assert.Null(await _log.ReadAsync("b1", None));
        await _store.Writer.ExecuteAsync(s => SqliteAuditLog.AppendInTransaction(s, [Record("c")]), None);

        var chain = await _log.ReadChainAsync(AuditChain.SingleWriter, 0, int.MaxValue, None);
        var c = Assert.Single(chain);
        Assert.Equal(("c", 1L, AuditChain.Genesis), (c.Record.Id, c.Sequence, c.PreviousHash));
        Assert.Equal(AuditChain.Hash(AuditChain.Genesis, 1, "c", c.Record.Recorded, c.Record.Json), c.Hash);
    }

    [Fact]
    public async Task A_unit_completes_only_after_commit_and_the_units_of_one_batch_become_visible_together()
    {
        using var holdFirst = new ManualResetEventSlim();
        using var holdSecond = new ManualResetEventSlim();
        using var firstRunning = new ManualResetEventSlim();
        // Occupy the writer so that the next two units queue up and form one batch.
        var blocker = _store.Writer.ExecuteAsync(_ => { firstRunning.Set(); holdFirst.Wait(); return 0; }, None);
        Assert.True(firstRunning.Wait(TimeSpan.FromSeconds(10)));
        var a = _store.Writer.ExecuteAsync(s => SqliteAuditLog.AppendInTransaction(s, [Record("a")]), None);
        using var bRunning = new ManualResetEventSlim();
        var b = _store.Writer.ExecuteAsync(s =>
        {
            var n = SqliteAuditLog.AppendInTransaction(s, [Record("b")]);
            bRunning.Set();
            holdSecond.Wait();
            return n;
        }, None);
        holdFirst.Set();
        await blocker;
        Assert.True(bRunning.Wait(TimeSpan.FromSeconds(10)));

        // a has run inside the open transaction, b is running: neither is committed, so neither is acknowledged or visible.
        Assert.False(a.IsCompleted);
        Assert.False(b.IsCompleted);
        Assert.Equal(0, VisibleAuditRows());
        var commitsBefore = _store.CommitStats.Commits;

        holdSecond.Set();
        await Task.WhenAll(a, b);
        Assert.Equal(2, VisibleAuditRows());
        var stats = _store.CommitStats;
        Assert.Equal(commitsBefore + 1, stats.Commits); // a and b shared one commit
        Assert.True(stats.LargestCommit >= 2);
        Assert.Equal(2, stats.AuditRecords);
    }

    [Fact]
    public async Task When_an_append_completes_every_record_up_to_its_sequence_is_committed_without_gaps()
    {
        var problems = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Task.WhenAll(Enumerable.Range(0, 200).Select(async i =>
        {
            var id = $"r{i}";
            await _log.AppendAsync([Record(id)], None);
            var chain = await _log.ReadChainAsync(AuditChain.SingleWriter, 0, int.MaxValue, None);
            var mine = chain.SingleOrDefault(r => r.Record.Id == id);
            if (mine is null)
            {
                problems.Add($"{id} not visible after its append completed");
                return;
            }
            var upTo = chain.TakeWhile(r => r.Sequence <= mine.Sequence).Select(r => r.Sequence).ToArray();
            if (!upTo.SequenceEqual(Enumerable.Range(1, (int)mine.Sequence).Select(n => (long)n)))
                problems.Add($"{id}: a record below sequence {mine.Sequence} was not yet committed");
        }));
        Assert.Empty(problems);
        var all = await _log.ReadChainAsync(AuditChain.SingleWriter, 0, int.MaxValue, None);
        Assert.Equal(Enumerable.Range(1, 200).Select(n => (long)n), all.Select(r => r.Sequence));
        var previous = AuditChain.Genesis;
        foreach (var record in all)
        {
            Assert.Equal(previous, record.PreviousHash);
            Assert.Equal(AuditChain.Hash(previous, record.Sequence, record.Record.Id, record.Record.Recorded, record.Record.Json), record.Hash);
            previous = record.Hash;
        }
        Assert.True(_store.CommitStats.Commits < 200, "concurrent appends share commits");
    }

    [Fact]
    public async Task A_write_and_its_audit_event_commit_together_or_not_at_all()
    {
        StoredResource? seenPrevious = null;
        var created = await _store.CreateAsync(Write("c1") with { Audit = (v, p) => Record($"create-{v.Id}-{v.VersionId}") }, None);
        Assert.NotNull(await _log.ReadAsync("create-c1-1", None));

        // The audit builder fails: the version is rolled back with it.
        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            _store.UpsertAsync(Write("c1") with { Audit = (_, _) => throw new InvalidOperationException("no audit") }, None));
        Assert.Equal(1, (await _store.ReadAsync(Consent, "c1", None))!.VersionId);

        // The write fails (id taken): no AuditEvent is stored.
        await Assert.ThrowsAsync<ResourceConflictException>(() =>
            _store.CreateAsync(Write("c1") with { Audit = (_, _) => Record("never") }, None));
        Assert.Null(await _log.ReadAsync("never", None));

        // The audit id clashes: the write is rolled back too.
        await Assert.ThrowsAsync<SqliteException>(() =>
            _store.CreateAsync(Write("c2") with { Audit = (_, _) => Record("create-c1-1") }, None));
        Assert.Null(await _store.ReadAsync(Consent, "c2", None));

        var deleted = await _store.DeleteAsync(Consent, "c1", null, None, (v, p) => { seenPrevious = p; return Record($"delete-{v.Id}-{v.VersionId}"); });
        Assert.True(deleted!.IsDeleted);
        Assert.Equal(created.Json, seenPrevious!.Json);
        Assert.NotNull(await _log.ReadAsync("delete-c1-2", None));
        var chain = await _log.ReadChainAsync(AuditChain.SingleWriter, 0, 100, None);
        Assert.Equal(["create-c1-1", "delete-c1-2"], chain.Select(r => r.Record.Id));
        Assert.Equal([1L, 2L], chain.Select(r => r.Sequence));
    }

    [Fact]
    public async Task Audit_search_reads_the_index_written_with_each_record_at_a_snapshot()
    {
        await _log.AppendAsync([Record("x1")], None);
        var first = await _log.SearchAsync(new SearchQuery("AuditEvent", [Token("type", "urn:test", "t")], [], 10), None);
        await _log.AppendAsync([Record("x2")], None);
        var again = await _log.SearchAsync(new SearchQuery("AuditEvent", [Token("type", "urn:test", "t")], [], 10, Snapshot: first.Snapshot), None);
        var now = await _log.SearchAsync(new SearchQuery("AuditEvent", [Token("type", "urn:test", "t")], [], 10), None);
        Assert.Equal(["x1"], again.Resources.Select(r => r.Id));
        Assert.Equal(["x1", "x2"], now.Resources.Select(r => r.Id));
        Assert.All(now.Resources, r => Assert.Equal(("AuditEvent", 1), (r.ResourceType, r.VersionId)));
        Assert.Empty((await _log.SearchAsync(new SearchQuery("AuditEvent", [Token("type", "urn:test", "other")], [], 10), None)).Resources);
    }

    /// <summary>Runs <paramref name="sql"/> on the audit index file directly (the store closed); returns its first value.</summary>
    private object? OnIndexFile(string sql)
    {
        using var raw = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = SqliteAuditIndexer.PathFor(_folder.File("audit.db")), Pooling = false }.ToString());
        raw.Open();
        using var cmd = raw.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar();
    }

    [Fact]
    public async Task Rows_a_crash_left_without_index_entries_are_indexed_when_the_store_opens()
    {
        static AuditRecord Event(string id) => new(id, DateTimeOffset.UtcNow,
            $$"""{"resourceType":"AuditEvent","id":"{{id}}","type":{"system":"urn:test","code":"crash"},"recorded":"2026-01-01T00:00:00Z"}""")
        {
            Index = [TokenEntry("type", "urn:test", "crash")],
        };
        await _log.AppendAsync([Event("r1"), Event("r2")], None);
        Assert.Equal(2, (await _log.SearchAsync(new SearchQuery("AuditEvent", [Token("type", "urn:test", "crash")], [], 10), None)).Resources.Count);
        await _store.DisposeAsync();

        // What a crash between a commit and its index batch leaves: the rows, no entries in the index file, upto below them.
        OnIndexFile("DELETE FROM audit_token; DELETE FROM audit_reference; DELETE FROM audit_date; DELETE FROM audit_string; UPDATE audit_index_state SET upto = 0;");

        _store = new SqliteResourceStore(new SqliteOptions { Path = _folder.File("audit.db") });
        _log = new SqliteAuditLog(_store);
        // Rebuilt from the rows' JSON (the search parameter "type" of AuditEvent), before the store accepts work.
        var found = await _log.SearchAsync(new SearchQuery("AuditEvent", [Token("type", "urn:test", "crash")], [], 10), None);
        Assert.Equal(["r1", "r2"], found.Resources.Select(r => r.Id));

        // A lost index file is rebuilt whole.
        await _store.DisposeAsync();
        File.Delete(SqliteAuditIndexer.PathFor(_folder.File("audit.db")));
        _store = new SqliteResourceStore(new SqliteOptions { Path = _folder.File("audit.db") });
        _log = new SqliteAuditLog(_store);
        found = await _log.SearchAsync(new SearchQuery("AuditEvent", [Token("type", "urn:test", "crash")], [], 10), None);
        Assert.Equal(["r1", "r2"], found.Resources.Select(r => r.Id));
    }

    [Fact]
    public async Task One_large_commit_is_indexed_in_batches_of_fewer_than_twice_the_batch_size()
    {
        var count = 3 * SqliteAuditIndexer.BatchRows + 5;
        await _log.AppendAsync(Enumerable.Range(0, count).Select(i => Record("big-" + i)).ToList(), None); // one unit, one commit

        var found = await _log.SearchAsync(new SearchQuery("AuditEvent", [Token("type", "urn:test", "t")], [], 1), None);

        Assert.Equal(count, found.Total);
        Assert.InRange(_store.AuditIndexer.LargestBatch, SqliteAuditIndexer.BatchRows, 2 * SqliteAuditIndexer.BatchRows - 1);
        Assert.Equal((long)count, OnIndexFile("SELECT upto FROM audit_index_state;"));
    }

    [Fact]
    public async Task An_index_file_with_the_former_token_index_by_system_keeps_its_entries_and_loses_that_index()
    {
        static AuditRecord Event(string id) => new(id, DateTimeOffset.UtcNow,
            $$"""{"resourceType":"AuditEvent","id":"{{id}}","type":{"system":"urn:test","code":"old"},"recorded":"2026-01-01T00:00:00Z"}""")
        {
            Index = [TokenEntry("type", "urn:test", "old")],
        };
        await _log.AppendAsync([Event("o1")], None);
        Assert.Single((await _log.SearchAsync(new SearchQuery("AuditEvent", [Token("type", "urn:test", "old")], [], 10), None)).Resources);
        await _store.DisposeAsync();
        OnIndexFile("CREATE INDEX ix_audit_token_system ON audit_token (param, system, value, seq);");

        _store = new SqliteResourceStore(new SqliteOptions { Path = _folder.File("audit.db") });
        _log = new SqliteAuditLog(_store);
        Assert.Single((await _log.SearchAsync(new SearchQuery("AuditEvent", [Token("type", "urn:test", "old")], [], 10), None)).Resources);
        Assert.Single((await _log.SearchAsync(new SearchQuery("AuditEvent", [Token("type", "urn:test", null)], [], 10), None)).Resources);
        await _store.DisposeAsync();
        Assert.Equal(0L, OnIndexFile("SELECT COUNT(*) FROM sqlite_master WHERE name = 'ix_audit_token_system';"));
        _store = new SqliteResourceStore(new SqliteOptions { Path = _folder.File("audit.db") });
        _log = new SqliteAuditLog(_store);
    }

    [Fact]
    public async Task A_search_sees_every_row_committed_before_it_even_while_appends_continue()
    {
        using var stop = new CancellationTokenSource();
        var appending = Task.Run(async () =>
        {
            var n = 0;
            while (!stop.IsCancellationRequested)
                await _log.AppendAsync([Record($"bg-{n++}")], None);
        });
        for (var i = 0; i < 50; i++)
        {
            await _log.AppendAsync([Record($"fg-{i}") with { Index = [TokenEntry("entity", "urn:test", $"fg-{i}")] }], None);
            var page = await _log.SearchAsync(new SearchQuery("AuditEvent", [Token("entity", "urn:test", $"fg-{i}")], [], 10), None);
            Assert.Equal([$"fg-{i}"], page.Resources.Select(r => r.Id));
        }
        await stop.CancelAsync();
        await appending;
    }

    [Fact]
    public async Task An_index_file_of_another_database_is_not_trusted_but_rebuilt()
    {
        static AuditRecord Event(string id, string code) => new(id, DateTimeOffset.UtcNow,
            $$"""{"resourceType":"AuditEvent","id":"{{id}}","type":{"system":"urn:test","code":"{{code}}"},"recorded":"2026-01-01T00:00:00Z"}""")
        {
            Index = [TokenEntry("type", "urn:test", code)],
        };
        var other = _folder.File("other.db");
        await using (var otherStore = new SqliteResourceStore(new SqliteOptions { Path = other }))
        {
            // The same sequence numbers as ours, other events: an index copied from there would answer wrongly.
            await new SqliteAuditLog(otherStore).AppendAsync([Event("theirs-1", "theirs"), Event("theirs-2", "theirs")], None);
        }
        await _log.AppendAsync([Event("ours-1", "ours"), Event("ours-2", "ours")], None);
        await _store.DisposeAsync();

        // A restored backup, or a copied file: the index beside our database is the other database's.
        var ours = _folder.File("audit.db");
        File.Copy(SqliteAuditIndexer.PathFor(other), SqliteAuditIndexer.PathFor(ours), overwrite: true);
        _store = new SqliteResourceStore(new SqliteOptions { Path = ours });
        _log = new SqliteAuditLog(_store);

        Assert.Empty((await _log.SearchAsync(new SearchQuery("AuditEvent", [Token("type", "urn:test", "theirs")], [], 10), None)).Resources);
        var found = await _log.SearchAsync(new SearchQuery("AuditEvent", [Token("type", "urn:test", "ours")], [], 10), None);
        Assert.Equal(["ours-1", "ours-2"], found.Resources.Select(r => r.Id));
    }
}
