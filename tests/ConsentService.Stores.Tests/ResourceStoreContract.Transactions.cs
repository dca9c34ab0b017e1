using ConsentService.Application;
using ConsentService.Application.Ports;
using static ConsentService.Stores.Tests.StoreTestData;

namespace ConsentService.Stores.Tests;

public abstract partial class ResourceStoreContract
{
    // ---- transactions: all or nothing ----

    /// <summary>False for a store that cannot make several writes atomic (Cosmos DB across partitions): it must
    /// then refuse a multi-operation transaction with a 422 before writing anything.</summary>
    protected virtual bool SupportsAtomicTransactions => true;

    /// <summary>A store without atomic transactions refuses a multi-operation transaction and writes nothing.</summary>
    private async Task AssertRefusedAsync(IReadOnlyList<TransactionOperation> operations)
    {
        var before = await Store.CurrentSequenceAsync(None);
        await Assert.ThrowsAsync<UnprocessableContentException>(() => Store.TransactAsync(operations, None));
        Assert.Equal(before, await Store.CurrentSequenceAsync(None));
    }

    [Fact]
    public async Task Store_without_atomic_transactions_refuses_them_and_writes_nothing()
    {
        if (SupportsAtomicTransactions)
        {
            var outcomes = await Store.TransactAsync([new CreateOperation(Write("a1")), new CreateOperation(Write("a2"))], None);
            Assert.Equal(2, outcomes.Count);
            return;
        }
        var before = await Store.CurrentSequenceAsync(None);
        await Assert.ThrowsAsync<UnprocessableContentException>(() => Store.TransactAsync([new CreateOperation(Write("a1")), new CreateOperation(Write("a2"))], None));
        Assert.Null(await Store.ReadAsync(Consent, "a1", None));
        Assert.Equal(before, await Store.CurrentSequenceAsync(None));
        var single = await Store.TransactAsync([new CreateOperation(Write("a3"))], None);
        Assert.True(single[0].Created);
    }

    [Fact]
    public async Task Transaction_commits_every_operation_together()
    {
        if (!SupportsAtomicTransactions)
        {
            await AssertRefusedAsync([new CreateOperation(Write("r1")), new UpsertOperation(Write("r2"))]);
            return;
        }
        await Store.CreateAsync(Write("old"), None);
        var outcomes = await Store.TransactAsync(
        [
            new CreateOperation(Write("t1")),
            new UpsertOperation(Write("t2")),
            new DeleteOperation(Consent, "old"),
        ], None);

        Assert.Equal(3, outcomes.Count);
        Assert.True(outcomes[0].Created);
        Assert.Equal("t1", outcomes[0].Resource!.Id);
        Assert.True(outcomes[1].Created);
        Assert.True(outcomes[2].Resource!.IsDeleted);
        Assert.NotNull(await Store.ReadAsync(Consent, "t1", None));
        Assert.NotNull(await Store.ReadAsync(Consent, "t2", None));
        Assert.True((await Store.ReadAsync(Consent, "old", None))!.IsDeleted);
    }

    [Fact]
    public async Task Failed_transaction_stores_nothing()
    {
        if (!SupportsAtomicTransactions)
        {
            await AssertRefusedAsync([new CreateOperation(Write("r1")), new UpsertOperation(Write("r2"))]);
            return;
        }
        await Store.CreateAsync(Write("taken"), None);
        var before = await Store.CurrentSequenceAsync(None);
        await Assert.ThrowsAsync<ResourceConflictException>(() => Store.TransactAsync(
        [
            new CreateOperation(Write("fresh")),
            new UpsertOperation(Write("other")),
            new CreateOperation(Write("taken")), // the id exists: the whole transaction fails
        ], None));
        Assert.Null(await Store.ReadAsync(Consent, "fresh", None));
        Assert.Null(await Store.ReadAsync(Consent, "other", None));
        Assert.Equal(before, await Store.CurrentSequenceAsync(None));

        await Assert.ThrowsAsync<PreconditionFailedException>(() => Store.TransactAsync(
        [
            new CreateOperation(Write("fresh")),
            new UpsertOperation(Write("taken", ifMatch: 7)),
        ], None));
        Assert.Null(await Store.ReadAsync(Consent, "fresh", None));
        Assert.Equal(before, await Store.CurrentSequenceAsync(None));
    }

    [Fact]
    public async Task Transaction_conditional_create_must_match_as_predicted()
    {
        if (!SupportsAtomicTransactions)
        {
            await AssertRefusedAsync([new CreateOperation(Write("r1")), new UpsertOperation(Write("r2"))]);
            return;
        }
        await Store.CreateAsync(Write("existing", index: [TokenEntry("identifier", "urn:x", "A")]), None);
        var byIdentifier = Query(Token("identifier", "urn:x", "A"));

        var matched = await Store.TransactAsync([new CreateOperation(Write("new-1", index: [TokenEntry("identifier", "urn:x", "A")]), byIdentifier, ExpectedMatchId: "existing")], None);
        Assert.False(matched[0].Created);
        Assert.Equal("existing", matched[0].Resource!.Id);
        Assert.Null(await Store.ReadAsync(Consent, "new-1", None));

        // Predicted "no match" but one exists (a concurrent writer): nothing is stored.
        await Assert.ThrowsAsync<PreconditionFailedException>(() => Store.TransactAsync(
        [
            new CreateOperation(Write("side-effect")),
            new CreateOperation(Write("new-2", index: [TokenEntry("identifier", "urn:x", "A")]), byIdentifier, ExpectedMatchId: null),
        ], None));
        Assert.Null(await Store.ReadAsync(Consent, "side-effect", None));

        var created = await Store.TransactAsync([new CreateOperation(Write("new-3", index: [TokenEntry("identifier", "urn:x", "B")]), Query(Token("identifier", "urn:x", "B")))], None);
        Assert.True(created[0].Created);
    }
}

public abstract partial class ResourceStoreContract
{
    [Fact]
    public async Task Stream_returns_every_match_at_its_snapshot_in_id_order_not_commit_order()
    {
        // Created out of id order: a stream in commit order would tell a cohort's reader which resources were
        // registered together (one patient's backlog, say); in id order it tells only what the ids already show.
        foreach (var id in new[] { "s3", "s0", "s4", "s1", "s2" })
            await Store.CreateAsync(Write(id, index: [TokenEntry("category", "urn:c", "x")]), None);
        await Store.CreateAsync(Write("other", index: [TokenEntry("category", "urn:c", "y")]), None);
        var snapshot = await Store.CurrentSequenceAsync(None);
        await Store.CreateAsync(Write("late", index: [TokenEntry("category", "urn:c", "x")]), None);
        await Store.DeleteAsync(Consent, "s2", null, None);
        await Store.UpsertAsync(Write("s3", index: [TokenEntry("category", "urn:c", "y")]), None);

        var atSnapshot = new List<string>();
        await foreach (var resource in Store.StreamAsync(Query(Token("category", "urn:c", "x")) with { Snapshot = snapshot, Count = 1 }, None))
            atSnapshot.Add(resource.Id);
        Assert.Equal(["s0", "s1", "s2", "s3", "s4"], atSnapshot);

        var now = new List<string>();
        await foreach (var resource in Store.StreamAsync(Query(Token("category", "urn:c", "x")), None))
            now.Add(resource.Id);
        Assert.Equal(["late", "s0", "s1", "s4"], now);
    }
}
