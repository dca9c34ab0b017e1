using ConsentService.Application;
using static ConsentService.Stores.Tests.StoreTestData;

namespace ConsentService.Stores.Tests;

public abstract partial class ResourceStoreContract
{
    /// <summary>Runs <paramref name="count"/> calls at once (from the thread pool) and collects each outcome.</summary>
    private static async Task<(int Succeeded, List<Exception> Failures)> RaceAsync(int count, Func<int, Task> call)
    {
        using var start = new ManualResetEventSlim();
        var tasks = Enumerable.Range(0, count).Select(i => Task.Run(async () =>
        {
            start.Wait();
            await call(i);
        })).ToList();
        start.Set();
        var failures = new List<Exception>();
        var succeeded = 0;
        foreach (var task in tasks)
        {
            try
            {
                await task;
                succeeded++;
            }
            catch (Exception ex)
            {
                failures.Add(ex);
            }
        }
        return (succeeded, failures);
    }

    [Fact]
    public async Task Parallel_updates_with_the_same_if_match_have_exactly_one_winner()
    {
        await Store.CreateAsync(Write("c1"), None);

        var (succeeded, failures) = await RaceAsync(16, i => Store.UpsertAsync(Write("c1", ifMatch: 1, status: "s" + i), None));

        Assert.Equal(1, succeeded);
        Assert.Equal(15, failures.Count);
        Assert.All(failures, f => Assert.IsType<PreconditionFailedException>(f));
        Assert.Equal(2, (await Store.ReadAsync(Consent, "c1", None))!.VersionId);
        Assert.Equal(2, (await Store.HistoryAsync(Consent, "c1", new(10), None)).Total);
    }

    [Fact]
    public async Task Parallel_unconditional_updates_are_all_kept_as_versions()
    {
        await Store.CreateAsync(Write("c1"), None);
        const int writers = 40;

        var (succeeded, failures) = await RaceAsync(writers, i => Store.UpsertAsync(Write("c1", status: "s" + i), None));

        Assert.Empty(failures);
        Assert.Equal(writers, succeeded);
        var history = await Store.HistoryAsync(Consent, "c1", new(100), None);
        Assert.Equal(writers + 1, history.Total);
        Assert.Equal(Enumerable.Range(1, writers + 1).Reverse(), history.Versions.Select(v => v.VersionId));
        var statuses = history.Versions.Take(writers).Select(v => System.Text.Json.Nodes.JsonNode.Parse(v.Json)!["status"]!.ToString()).ToHashSet();
        Assert.Equal(writers, statuses.Count); // every writer's content survives in its own version
    }

    [Fact]
    public async Task Parallel_creates_with_the_same_unique_key_have_exactly_one_winner()
    {
        var (succeeded, failures) = await RaceAsync(16, i => Store.CreateAsync(Write("s" + i, keys: ["uid"], type: Study), None));

        Assert.Equal(1, succeeded);
        Assert.All(failures, f => Assert.IsType<ResourceConflictException>(f));
        var holder = await Store.FindByUniqueKeyAsync(Study, "uid", None);
        Assert.NotNull(holder);
        var total = (await Store.SearchAsync(new(Study, [], [], 0, SummaryCount: true), None)).Total;
        Assert.Equal(1, total);
    }

    [Fact]
    public async Task Parallel_conditional_creates_create_once()
    {
        var created = 0;
        var (succeeded, failures) = await RaceAsync(16, async i =>
        {
            var (_, wasCreated) = await Store.CreateIfNoneExistAsync(
                Write("c" + i, [TokenEntry("identifier", "sys", "same")]), Query(Token("identifier", "sys", "same")), None);
            if (wasCreated)
                Interlocked.Increment(ref created);
        });

        Assert.Empty(failures);
        Assert.Equal(16, succeeded);
        Assert.Equal(1, created);
        Assert.Equal(1, (await Store.SearchAsync(Query(Token("identifier", "sys", "same")), None)).Total);
    }

    [Fact]
    public async Task Parallel_creates_of_the_same_id_have_exactly_one_winner()
    {
        var (succeeded, failures) = await RaceAsync(16, _ => Store.CreateAsync(Write("same"), None));
        Assert.Equal(1, succeeded);
        Assert.All(failures, f => Assert.IsType<ResourceConflictException>(f));
    }

    [Fact]
    public async Task Reads_during_writes_see_whole_versions()
    {
        await Store.CreateAsync(Write("c1", [TokenEntry("status", null, "active")]), None);
        var writes = Task.Run(async () =>
        {
            for (var i = 0; i < 100; i++)
                await Store.UpsertAsync(Write("c1", [TokenEntry("status", null, "active")]), None);
        });
        var lastVersion = 0;
        while (!writes.IsCompleted)
        {
            var read = (await Store.ReadAsync(Consent, "c1", None))!;
            Assert.True(read.VersionId >= lastVersion);
            Assert.Equal(read.VersionId.ToString(System.Globalization.CultureInfo.InvariantCulture),
                (string?)System.Text.Json.Nodes.JsonNode.Parse(read.Json)!["meta"]!["versionId"]);
            lastVersion = read.VersionId;
            var page = await Store.SearchAsync(Query(Token("status", null, "active")), None);
            Assert.Equal(1, page.Total);
        }
        await writes;
        Assert.Equal(101, (await Store.ReadAsync(Consent, "c1", None))!.VersionId);
    }
}
