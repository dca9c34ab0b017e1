using System.Text.Json.Nodes;
using ConsentService.Application;
using ConsentService.Application.Ports;
using static ConsentService.Stores.Tests.StoreTestData;

namespace ConsentService.Stores.Tests;

/// <summary>
/// The behaviour every <see cref="IResourceStore"/> must show. A store's test class derives from this and
/// supplies a fresh, empty store per test; it must not depend on anything store-specific.
/// </summary>
public abstract partial class ResourceStoreContract : IAsyncLifetime
{
    protected static readonly CancellationToken None = CancellationToken.None;

    protected IResourceStore Store { get; private set; } = null!;

    /// <summary>A new, empty store (called once per test).</summary>
    protected abstract Task<IResourceStore> CreateEmptyStoreAsync();

    public async Task InitializeAsync() => Store = await CreateEmptyStoreAsync();

    public virtual async Task DisposeAsync()
    {
        switch (Store)
        {
            case IAsyncDisposable asyncDisposable: await asyncDisposable.DisposeAsync(); break;
            case IDisposable disposable: disposable.Dispose(); break;
        }
    }

    // ---- create / read / vread ----

    [Fact]
    public async Task Create_then_read_returns_version_1()
    {
        var created = await Store.CreateAsync(Write("c1"), None);
        var read = await Store.ReadAsync(Consent, "c1", None);

        Assert.Equal(1, created.VersionId);
        Assert.False(created.IsDeleted);
        Assert.Equal(created, read);
        Assert.Equal(created.Json, read!.Json);
        Assert.True(created.Sequence > 0);
    }

    [Fact]
    public async Task Read_of_unknown_id_or_other_type_is_null()
    {
        await Store.CreateAsync(Write("c1"), None);
        Assert.Null(await Store.ReadAsync(Consent, "nope", None));
        Assert.Null(await Store.ReadAsync(Study, "c1", None));
        Assert.Null(await Store.ReadVersionAsync(Consent, "c1", 2, None));
    }

    [Fact]
    public async Task Meta_versionId_and_lastUpdated_are_stamped_into_json_and_other_meta_kept()
    {
        var json = """{"resourceType":"Consent","id":"c1","meta":{"versionId":"99","profile":["http://example.org/p"],"tag":[{"code":"t"}]},"status":"active","note":"Zoë"}""";
        var created = await Store.CreateAsync(new ResourceWrite(Consent, "c1", json, [], []), None);
        var updated = await Store.UpsertAsync(new ResourceWrite(Consent, "c1", json, [], []), None);

        foreach (var (version, expected) in new[] { (created, "1"), (updated.Resource, "2") })
        {
            var node = JsonNode.Parse(version.Json)!.AsObject();
            var meta = node["meta"]!.AsObject();
            Assert.Equal(expected, (string?)meta["versionId"]);
            var lastUpdated = (string)meta["lastUpdated"]!;
            Assert.EndsWith("Z", lastUpdated, StringComparison.Ordinal);
            Assert.Equal(version.LastUpdated, DateTimeOffset.Parse(lastUpdated, System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal("http://example.org/p", (string?)meta["profile"]![0]);
            Assert.Equal("t", (string?)meta["tag"]![0]!["code"]);
            Assert.Equal("Zoë", (string?)node["note"]);
            Assert.Equal("active", (string?)node["status"]);
        }
        Assert.Equal(updated.Resource.Json, (await Store.ReadAsync(Consent, "c1", None))!.Json);
    }

    [Fact]
    public async Task Meta_is_added_when_absent()
    {
        var created = await Store.CreateAsync(Write("c1"), None);
        var meta = JsonNode.Parse(created.Json)!["meta"]!;
        Assert.Equal("1", (string?)meta["versionId"]);
        Assert.NotNull(meta["lastUpdated"]);
    }

    [Fact]
    public async Task Updates_increment_version_and_vread_returns_each_version()
    {
        var v1 = await Store.CreateAsync(Write("c1", status: "draft"), None);
        var (v2, created2) = await Store.UpsertAsync(Write("c1", status: "active"), None);
        var (v3, created3) = await Store.UpsertAsync(Write("c1", status: "inactive"), None);

        Assert.False(created2);
        Assert.False(created3);
        Assert.Equal([1, 2, 3], new[] { v1.VersionId, v2.VersionId, v3.VersionId });
        Assert.True(v1.Sequence < v2.Sequence && v2.Sequence < v3.Sequence);
        Assert.True(v1.LastUpdated <= v2.LastUpdated && v2.LastUpdated <= v3.LastUpdated);
        Assert.Equal(v1, await Store.ReadVersionAsync(Consent, "c1", 1, None));
        Assert.Equal(v2, await Store.ReadVersionAsync(Consent, "c1", 2, None));
        Assert.Equal(v3, await Store.ReadAsync(Consent, "c1", None));
        Assert.Contains("\"draft\"", v1.Json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Update_with_matching_if_match_succeeds()
    {
        await Store.CreateAsync(Write("c1"), None);
        var (v2, _) = await Store.UpsertAsync(Write("c1", ifMatch: 1), None);
        var (v3, _) = await Store.UpsertAsync(Write("c1", ifMatch: 2), None);
        Assert.Equal(3, v3.VersionId);
        Assert.Equal(2, v2.VersionId);
    }

    [Fact]
    public async Task Update_with_stale_if_match_fails_and_writes_nothing()
    {
        await Store.CreateAsync(Write("c1"), None);
        await Store.UpsertAsync(Write("c1"), None);
        var before = await Store.CurrentSequenceAsync(None);

        await Assert.ThrowsAsync<PreconditionFailedException>(() => Store.UpsertAsync(Write("c1", ifMatch: 1), None));

        Assert.Equal(2, (await Store.ReadAsync(Consent, "c1", None))!.VersionId);
        Assert.Equal(before, await Store.CurrentSequenceAsync(None));
    }

    [Fact]
    public async Task Update_with_if_match_on_missing_resource_fails() =>
        await Assert.ThrowsAsync<PreconditionFailedException>(() => Store.UpsertAsync(Write("c1", ifMatch: 1), None));

    [Fact]
    public async Task Upsert_with_client_id_creates_version_1()
    {
        var (resource, created) = await Store.UpsertAsync(Write("client-chosen"), None);
        Assert.True(created);
        Assert.Equal(1, resource.VersionId);
        Assert.Equal(resource, await Store.ReadAsync(Consent, "client-chosen", None));
    }

    [Fact]
    public async Task Create_with_used_id_conflicts_even_when_deleted()
    {
        await Store.CreateAsync(Write("c1"), None);
        await Assert.ThrowsAsync<ResourceConflictException>(() => Store.CreateAsync(Write("c1"), None));
        await Store.DeleteAsync(Consent, "c1", null, None);
        await Assert.ThrowsAsync<ResourceConflictException>(() => Store.CreateAsync(Write("c1"), None));
    }

    [Fact]
    public async Task Same_id_in_another_type_is_a_different_resource()
    {
        await Store.CreateAsync(Write("x"), None);
        var study = await Store.CreateAsync(Write("x", type: Study), None);
        Assert.Equal(1, study.VersionId);
        Assert.Equal(Study, (await Store.ReadAsync(Study, "x", None))!.ResourceType);
    }

    // ---- delete ----

    [Fact]
    public async Task Delete_writes_a_delete_version_that_read_returns()
    {
        await Store.CreateAsync(Write("c1"), None);
        var deleted = await Store.DeleteAsync(Consent, "c1", null, None);

        Assert.NotNull(deleted);
        Assert.True(deleted.IsDeleted);
        Assert.Equal(2, deleted.VersionId);
        Assert.Equal("", deleted.Json);
        var read = await Store.ReadAsync(Consent, "c1", None);
        Assert.Equal(deleted, read);
        Assert.False((await Store.ReadVersionAsync(Consent, "c1", 1, None))!.IsDeleted);
    }

    [Fact]
    public async Task Delete_twice_or_of_unknown_returns_null_and_writes_nothing()
    {
        await Store.CreateAsync(Write("c1"), None);
        await Store.DeleteAsync(Consent, "c1", null, None);
        var sequence = await Store.CurrentSequenceAsync(None);

        Assert.Null(await Store.DeleteAsync(Consent, "c1", null, None));
        Assert.Null(await Store.DeleteAsync(Consent, "never", null, None));
        Assert.Equal(sequence, await Store.CurrentSequenceAsync(None));
    }

    [Fact]
    public async Task Delete_honours_if_match()
    {
        await Store.CreateAsync(Write("c1"), None);
        await Store.UpsertAsync(Write("c1"), None);
        await Assert.ThrowsAsync<PreconditionFailedException>(() => Store.DeleteAsync(Consent, "c1", 1, None));
        Assert.False((await Store.ReadAsync(Consent, "c1", None))!.IsDeleted);
        var deleted = await Store.DeleteAsync(Consent, "c1", 2, None);
        Assert.Equal(3, deleted!.VersionId);
    }

    [Fact]
    public async Task Update_after_delete_creates_the_next_version()
    {
        await Store.CreateAsync(Write("c1"), None);
        await Store.DeleteAsync(Consent, "c1", null, None);
        var (resource, created) = await Store.UpsertAsync(Write("c1"), None);

        Assert.True(created);
        Assert.Equal(3, resource.VersionId);
        Assert.False(resource.IsDeleted);
        Assert.Equal("3", (string?)JsonNode.Parse(resource.Json)!["meta"]!["versionId"]);
    }

    // ---- unique keys ----

    [Fact]
    public async Task Unique_key_clash_conflicts_and_lookup_finds_holder()
    {
        var holder = await Store.CreateAsync(Write("s1", keys: ["uid-1"], type: Study), None);

        await Assert.ThrowsAsync<ResourceConflictException>(() => Store.CreateAsync(Write("s2", keys: ["uid-1"], type: Study), None));
        await Assert.ThrowsAsync<ResourceConflictException>(() => Store.UpsertAsync(Write("s3", keys: ["uid-1"], type: Study), None));
        Assert.Null(await Store.ReadAsync(Study, "s2", None));
        Assert.Null(await Store.ReadAsync(Study, "s3", None));
        Assert.Equal(holder, await Store.FindByUniqueKeyAsync(Study, "uid-1", None));
        Assert.Null(await Store.FindByUniqueKeyAsync(Study, "uid-2", None));
        Assert.Null(await Store.FindByUniqueKeyAsync(Consent, "uid-1", None));
    }

    [Fact]
    public async Task Unique_keys_are_per_type()
    {
        await Store.CreateAsync(Write("s1", keys: ["k"], type: Study), None);
        var other = await Store.CreateAsync(Write("c1", keys: ["k"]), None);
        Assert.Equal(other, await Store.FindByUniqueKeyAsync(Consent, "k", None));
    }

    [Fact]
    public async Task Unique_key_is_freed_by_delete()
    {
        await Store.CreateAsync(Write("s1", keys: ["uid-1"], type: Study), None);
        await Store.DeleteAsync(Study, "s1", null, None);

        Assert.Null(await Store.FindByUniqueKeyAsync(Study, "uid-1", None));
        var taker = await Store.CreateAsync(Write("s2", keys: ["uid-1"], type: Study), None);
        Assert.Equal(taker, await Store.FindByUniqueKeyAsync(Study, "uid-1", None));
    }

    [Fact]
    public async Task Unique_key_moves_with_an_update_and_follows_the_current_version()
    {
        await Store.CreateAsync(Write("s1", keys: ["uid-1"], type: Study), None);
        var (same, _) = await Store.UpsertAsync(Write("s1", keys: ["uid-1"], type: Study), None);
        Assert.Equal(same, await Store.FindByUniqueKeyAsync(Study, "uid-1", None));

        var (moved, _) = await Store.UpsertAsync(Write("s1", keys: ["uid-2"], type: Study), None);
        Assert.Null(await Store.FindByUniqueKeyAsync(Study, "uid-1", None));
        Assert.Equal(moved, await Store.FindByUniqueKeyAsync(Study, "uid-2", None));

        var taker = await Store.CreateAsync(Write("s2", keys: ["uid-1"], type: Study), None);
        Assert.Equal(taker, await Store.FindByUniqueKeyAsync(Study, "uid-1", None));
    }

    // ---- conditional create ----

    [Fact]
    public async Task Conditional_create_creates_when_none_match()
    {
        var criteria = Query(Token("identifier", "sys", "a"));
        var (resource, created) = await Store.CreateIfNoneExistAsync(Write("c1", [TokenEntry("identifier", "sys", "a")]), criteria, None);
        Assert.True(created);
        Assert.Equal(resource, await Store.ReadAsync(Consent, "c1", None));
    }

    [Fact]
    public async Task Conditional_create_returns_the_single_match_and_writes_nothing()
    {
        var existing = await Store.CreateAsync(Write("c1", [TokenEntry("identifier", "sys", "a")]), None);
        var sequence = await Store.CurrentSequenceAsync(None);

        var (resource, created) = await Store.CreateIfNoneExistAsync(Write("c2", [TokenEntry("identifier", "sys", "a")]), Query(Token("identifier", "sys", "a")), None);

        Assert.False(created);
        Assert.Equal(existing, resource);
        Assert.Null(await Store.ReadAsync(Consent, "c2", None));
        Assert.Equal(sequence, await Store.CurrentSequenceAsync(None));
    }

    [Fact]
    public async Task Conditional_create_with_several_matches_fails()
    {
        await Store.CreateAsync(Write("c1", [TokenEntry("status", null, "active")]), None);
        await Store.CreateAsync(Write("c2", [TokenEntry("status", null, "active")]), None);
        await Assert.ThrowsAsync<PreconditionFailedException>(() =>
            Store.CreateIfNoneExistAsync(Write("c3"), Query(Token("status", null, "active")), None));
        Assert.Null(await Store.ReadAsync(Consent, "c3", None));
    }

    [Fact]
    public async Task Conditional_create_ignores_deleted_matches()
    {
        await Store.CreateAsync(Write("c1", [TokenEntry("identifier", "sys", "a")]), None);
        await Store.DeleteAsync(Consent, "c1", null, None);
        var (_, created) = await Store.CreateIfNoneExistAsync(Write("c2", [TokenEntry("identifier", "sys", "a")]), Query(Token("identifier", "sys", "a")), None);
        Assert.True(created);
    }

    // ---- history, as-of, sequence ----

    [Fact]
    public async Task Instance_history_is_newest_first_with_deletes_and_pages_with_before()
    {
        await Store.CreateAsync(Write("c1"), None);
        await Store.CreateAsync(Write("other"), None);
        await Store.UpsertAsync(Write("c1"), None);
        await Store.DeleteAsync(Consent, "c1", null, None);
        await Store.UpsertAsync(Write("c1"), None);

        var all = await Store.HistoryAsync(Consent, "c1", new HistoryQuery(10), None);
        Assert.Equal([4, 3, 2, 1], all.Versions.Select(v => v.VersionId));
        Assert.Equal(4, all.Total);
        Assert.Null(all.NextBefore);
        Assert.True(all.Versions[1].IsDeleted);

        var page1 = await Store.HistoryAsync(Consent, "c1", new HistoryQuery(3), None);
        Assert.Equal([4, 3, 2], page1.Versions.Select(v => v.VersionId));
        Assert.Equal(4, page1.Total);
        Assert.NotNull(page1.NextBefore);
        var page2 = await Store.HistoryAsync(Consent, "c1", new HistoryQuery(3, Before: page1.NextBefore), None);
        Assert.Equal([1], page2.Versions.Select(v => v.VersionId));
        Assert.Null(page2.NextBefore);
    }

    [Fact]
    public async Task Type_history_spans_ids_newest_first_and_filters_since()
    {
        var a1 = await Store.CreateAsync(Write("a"), None);
        await Task.Delay(20); // a store may keep lastUpdated at millisecond precision
        var b1 = await Store.CreateAsync(Write("b"), None);
        await Store.CreateAsync(Write("s", type: Study), None);
        var (a2, _) = await Store.UpsertAsync(Write("a"), None);

        var history = await Store.HistoryAsync(Consent, null, new HistoryQuery(10), None);
        Assert.Equal([a2.Sequence, b1.Sequence, a1.Sequence], history.Versions.Select(v => v.Sequence));
        Assert.Equal(3, history.Total);

        var since = await Store.HistoryAsync(Consent, null, new HistoryQuery(10, Since: b1.LastUpdated), None);
        Assert.Equal([a2.Sequence, b1.Sequence], since.Versions.Select(v => v.Sequence));
        Assert.Equal(2, since.Total);

        var paged = await Store.HistoryAsync(Consent, null, new HistoryQuery(1, Before: a2.Sequence), None);
        Assert.Equal([b1.Sequence], paged.Versions.Select(v => v.Sequence));
        Assert.Equal(a1.Sequence, (await Store.HistoryAsync(Consent, null, new HistoryQuery(1, Before: paged.NextBefore), None)).Versions.Single().Sequence);
    }

    [Fact]
    public async Task Read_as_of_returns_the_version_current_at_a_sequence()
    {
        var v1 = await Store.CreateAsync(Write("c1"), None);
        var other = await Store.CreateAsync(Write("c2"), None);
        var (v2, _) = await Store.UpsertAsync(Write("c1"), None);
        var deleted = await Store.DeleteAsync(Consent, "c1", null, None);

        Assert.Null(await Store.ReadAsOfAsync(Consent, "c1", v1.Sequence - 1, None));
        Assert.Equal(v1, await Store.ReadAsOfAsync(Consent, "c1", v1.Sequence, None));
        Assert.Equal(v1, await Store.ReadAsOfAsync(Consent, "c1", other.Sequence, None));
        Assert.Equal(v2, await Store.ReadAsOfAsync(Consent, "c1", v2.Sequence, None));
        Assert.Equal(deleted, await Store.ReadAsOfAsync(Consent, "c1", deleted!.Sequence, None));
        Assert.Equal(deleted, await Store.ReadAsOfAsync(Consent, "c1", long.MaxValue, None));
    }

    [Fact]
    public async Task Current_sequence_is_zero_when_empty_then_the_last_commit()
    {
        Assert.Equal(0, await Store.CurrentSequenceAsync(None));
        await Store.CreateAsync(Write("c1"), None);
        var deleted = await Store.DeleteAsync(Consent, "c1", null, None);
        Assert.Equal(deleted!.Sequence, await Store.CurrentSequenceAsync(None));
        Assert.True(await Store.PingAsync(None));
    }
}
