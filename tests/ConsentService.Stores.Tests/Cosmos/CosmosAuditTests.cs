using ConsentService.Application.Audit;
using ConsentService.Application.Ports;
using ConsentService.Infrastructure.Cosmos;
using static ConsentService.Stores.Tests.StoreTestData;

namespace ConsentService.Stores.Tests.Cosmos;

/// <summary>The audit trail on Cosmos: writes and their AuditEvents never one without the other (crashes between
/// the steps), one hash chain per writer with only committed records readable, search through postings, snapshot paging.</summary>
[Collection(CosmosServerCollection.Name)]
public sealed class CosmosAuditTests(CosmosServerFixture server) : IDisposable
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly CosmosTestDatabases _databases = new(server);

    public void Dispose() => _databases.Dispose();

    private static AuditRecord Record(string id, string patient = "p1", DateTimeOffset? at = null) =>
        new(id, at ?? DateTimeOffset.UtcNow, $$"""{"resourceType":"AuditEvent","id":"{{id}}"}""")
        {
            Index =
            [
                ReferenceEntry("patient", "Patient/" + patient),
                TokenEntry("action", null, "E"),
                DateEntry("date", at ?? DateTimeOffset.UtcNow, at ?? DateTimeOffset.UtcNow),
            ],
        };

    /// <summary>The audit of a write, as the Application builds it: one record per version, naming it.</summary>
    private static WriteAudit AuditOf(string patient) =>
        (written, _) => Record($"w-{written.Id}-{written.VersionId}", patient, written.LastUpdated);

    private static ResourceWrite Audited(string id, string patient, string status = "active") =>
        Write(id, [ReferenceEntry("patient", "Patient/" + patient)], status: status) with { Audit = AuditOf(patient) };

    private static async Task<AuditVerification> VerifyAsync(IAuditLog log) =>
        await new VerifyAuditTrailHandler(log, new AuditorCaller()).Handle(new VerifyAuditTrailQuery(), None);

    /// <summary>Verification reads the whole trail: an auditor's system scope.</summary>
    private sealed class AuditorCaller : IRequestCallerAccessor
    {
        public Application.Security.RequestCaller Caller { get; } =
            new("auditor", null, null, new HashSet<string>(StringComparer.Ordinal) { "system/AuditEvent.rs" }, IsAuthenticated: true);
    }

    private static SearchQuery ByPatient(string patient, int count = 100, long? snapshot = null, int offset = 0) =>
        new("AuditEvent", [Reference("patient", "Patient/" + patient)], [], count, offset, snapshot);

    [Fact]
    public async Task Audited_create_update_and_delete_commit_their_events_on_the_writers_chain()
    {
        await using var store = await _databases.OpenStoreAsync();
        var v1 = await store.CreateAsync(Audited("c1", "p1"), None);
        var (v2, _) = await store.UpsertAsync(Audited("c1", "p1", "inactive"), None);
        var deleted = await store.DeleteAsync(Consent, "c1", null, None, AuditOf("p1"));
        Assert.Null(await store.DeleteAsync(Consent, "c1", null, None, AuditOf("p1"))); // nothing written, nothing audited

        var log = store.AuditLog;
        foreach (var version in new[] { v1, v2, deleted! })
            Assert.NotNull(await log.ReadAsync($"w-c1-{version.VersionId}", None));
        Assert.Null(await log.ReadAsync("w-c1-4", None));
        var chain = Assert.Single(await log.ChainsAsync(None));
        var records = await log.ReadChainAsync(chain, 0, 10, None);
        Assert.Equal(["w-c1-1", "w-c1-2", "w-c1-3"], records.Select(r => r.Record.Id));
        Assert.Equal([1L, 2L, 3L], records.Select(r => r.Sequence));
        var verify = await VerifyAsync(log);
        Assert.True(verify.Valid, verify.Reason);
        Assert.Equal(3, verify.Events);
        Assert.Equal(["w-c1-1", "w-c1-2", "w-c1-3"], IdsOf(await log.SearchAsync(ByPatient("p1"), None)));
    }

    [Fact]
    public async Task A_writer_dying_after_the_commit_has_its_audit_event_written_by_the_sweep()
    {
        var lease = TimeSpan.FromSeconds(4);
        await using var store = await _databases.OpenStoreAsync(lease: lease);
        await store.CreateAsync(Audited("c1", "p1"), None);
        store.StepHook = step => step == "committed" ? throw new SimulatedCrashException() : Task.CompletedTask;
        await Assert.ThrowsAsync<SimulatedCrashException>(() => store.UpsertAsync(Audited("c1", "p1", "inactive"), None));
        store.StepHook = null;

        // the version committed (the pointer moved) but its AuditEvent is not written yet: the intent is still open,
        // so snapshot readers wait, and the sweep completes the write once the lease has passed
        Assert.Equal(2, (await store.ReadAsync(Consent, "c1", None))!.VersionId);
        Assert.Null(await store.AuditLog.ReadAsync("w-c1-2", None));
        var started = DateTimeOffset.UtcNow;
        var search = await store.SearchAsync(Query(Reference("patient", "Patient/p1")), None);
        Assert.True(DateTimeOffset.UtcNow - started >= lease * 0.9);
        Assert.Equal(2, search.Resources.Single().VersionId);

        Assert.NotNull(await store.AuditLog.ReadAsync("w-c1-2", None));
        Assert.Equal(["w-c1-1", "w-c1-2"], IdsOf(await store.AuditLog.SearchAsync(ByPatient("p1"), None)));
        var verify = await VerifyAsync(store.AuditLog);
        Assert.True(verify.Valid, verify.Reason);
        Assert.Equal(2, verify.Events);
    }

    [Fact]
    public async Task A_writer_dying_before_the_commit_leaves_neither_version_nor_audit_event()
    {
        await using var store = await _databases.OpenStoreAsync(lease: TimeSpan.FromSeconds(4));
        await store.CreateAsync(Audited("c1", "p1"), None);
        store.StepHook = step => step == "version-written" ? throw new SimulatedCrashException() : Task.CompletedTask;
        await Assert.ThrowsAsync<SimulatedCrashException>(() => store.UpsertAsync(Audited("c1", "p1", "dead"), None));
        await Assert.ThrowsAsync<SimulatedCrashException>(() => store.CreateAsync(Audited("c2", "p1"), None));
        store.StepHook = null;

        await store.SearchAsync(Query(Reference("patient", "Patient/p1")), None); // waits out the lease; the sweep resolves both
        await store.RecoverAsync(None);

        Assert.Equal(1, (await store.ReadAsync(Consent, "c1", None))!.VersionId);
        Assert.Null(await store.ReadAsync(Consent, "c2", None));
        Assert.Null(await store.AuditLog.ReadAsync("w-c1-2", None));
        Assert.Null(await store.AuditLog.ReadAsync("w-c2-1", None));
        Assert.Equal(["w-c1-1"], IdsOf(await store.AuditLog.SearchAsync(ByPatient("p1"), None)));
        Assert.Equal(1, (await VerifyAsync(store.AuditLog)).Events);
        // the next write takes version 2 with its own audit event
        var (v2, _) = await store.UpsertAsync(Audited("c1", "p1", "alive"), None);
        Assert.Equal(2, v2.VersionId);
        Assert.NotNull(await store.AuditLog.ReadAsync("w-c1-2", None));
    }

    [Fact]
    public async Task Records_written_but_not_yet_under_the_chain_head_are_invisible_until_the_head_moves()
    {
        await using var store = await _databases.OpenStoreAsync();
        var log = store.AuditLog;
        await log.AppendAsync([Record("a1")], None);
        var release = new TaskCompletionSource();
        var reached = new TaskCompletionSource();
        log.StepHook = async step =>
        {
            reached.TrySetResult();
            await release.Task;
        };
        var pending = log.AppendAsync([Record("a2"), Record("a3")], None);
        await reached.Task.WaitAsync(TimeSpan.FromSeconds(10));

        // a2 and a3 are written (claims, chain documents, postings) but the head still says 1
        Assert.Null(await log.ReadAsync("a2", None));
        Assert.Equal(["a1"], (await log.ReadChainAsync(log.CurrentChain, 0, 10, None)).Select(r => r.Record.Id));
        Assert.Equal(["a1"], IdsOf(await log.SearchAsync(ByPatient("p1"), None)));
        Assert.False(pending.IsCompleted);

        log.StepHook = null;
        release.SetResult();
        await pending;
        Assert.Equal(["a1", "a2", "a3"], (await log.ReadChainAsync(log.CurrentChain, 0, 10, None)).Select(r => r.Record.Id));
        Assert.Equal(["a3"], (await log.ReadChainAsync(log.CurrentChain, 2, 10, None)).Select(r => r.Record.Id));
    }

    [Fact]
    public async Task A_failed_commit_abandons_its_chain_and_a_retry_commits_the_records_once()
    {
        await using var store = await _databases.OpenStoreAsync();
        var log = store.AuditLog;
        await log.AppendAsync([Record("b1")], None);
        var first = log.CurrentChain;
        log.StepHook = _ => throw new IOException("connection reset");
        await Assert.ThrowsAsync<IOException>(() => log.AppendAsync([Record("b2"), Record("b3")], None));
        log.StepHook = null;

        var retried = new[] { Record("b2"), Record("b3") };
        await log.AppendAsync(retried, None);
        await log.AppendAsync(retried, None); // the client retries again: already written, nothing added

        Assert.NotEqual(first, log.CurrentChain);
        Assert.Equal(new[] { first, log.CurrentChain }.Order(StringComparer.Ordinal), await log.ChainsAsync(None));
        Assert.Equal(["b2", "b3"], (await log.ReadChainAsync(log.CurrentChain, 0, 10, None)).Select(r => r.Record.Id));
        Assert.Equal(["b1", "b2", "b3"], Sorted(IdsOf(await log.SearchAsync(ByPatient("p1"), None))));
        var verify = await VerifyAsync(log);
        Assert.True(verify.Valid, verify.Reason);
        Assert.Equal(3, verify.Events);
    }

    [Fact]
    public async Task Two_writers_keep_two_chains_that_verify_as_one_trail()
    {
        var name = "audit" + Guid.NewGuid().ToString("N");
        await using var a = await _databases.OpenStoreAsync(name);
        await using var b = await _databases.OpenStoreAsync(name);
        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => (i % 2 == 0 ? a : b).AuditLog.AppendAsync([Record("r" + i, "p" + (i % 3))], None)));

        Assert.Equal(new[] { a.AuditLog.CurrentChain, b.AuditLog.CurrentChain }.Order(StringComparer.Ordinal), await a.AuditLog.ChainsAsync(None));
        var verify = await VerifyAsync(b.AuditLog);
        Assert.True(verify.Valid, verify.Reason);
        Assert.Equal(40, verify.Events);
        Assert.Equal(2, verify.Chains.Count);
        Assert.All(verify.Chains, c => Assert.Equal(20, c.Events));
        Assert.Equal(14, (await a.AuditLog.SearchAsync(ByPatient("p0"), None)).Total);
    }

    [Fact]
    public async Task Search_by_date_alone_and_by_token_scans_record_days_and_pages_stay_stable_while_others_append()
    {
        await using var store = await _databases.OpenStoreAsync();
        var log = store.AuditLog;
        var day1 = new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);
        var day3 = day1.AddDays(2);
        await log.AppendAsync([Record("d1", "p1", day1), Record("d2", "p2", day1.AddMinutes(1)), Record("d3", "p1", day3)], None);

        var onDay1 = new SearchQuery("AuditEvent", [Date("date", DatePrefix.Lt, day1.AddDays(1), day1.AddDays(1))], [], 10);
        Assert.Equal(["d1", "d2"], IdsOf(await log.SearchAsync(onDay1, None)));
        var byAction = new SearchQuery("AuditEvent", [Token("action", null, "E")], [], 2);
        var first = await log.SearchAsync(byAction, None);
        Assert.Equal(["d1", "d2"], IdsOf(first));
        Assert.Equal(3, first.Total);

        await log.AppendAsync([Record("d0", "p1", day1.AddMinutes(-1))], None); // sorts before everything
        var second = await log.SearchAsync(byAction with { Offset = 2, Snapshot = first.Snapshot }, None);
        Assert.Equal(["d3"], IdsOf(second));
        Assert.Equal(3, second.Total);
        Assert.Equal(4, (await log.SearchAsync(byAction, None)).Total);
        Assert.Equal(["d0", "d1", "d3"], IdsOf(await log.SearchAsync(ByPatient("p1"), None)));
    }
}
