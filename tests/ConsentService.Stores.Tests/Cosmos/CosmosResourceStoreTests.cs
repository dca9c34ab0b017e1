using ConsentService.Application.Ports;
using ConsentService.Infrastructure.Cosmos;
using Microsoft.Azure.Cosmos;

namespace ConsentService.Stores.Tests.Cosmos;

/// <summary>The store contract on the Cosmos DB test server, a fresh database per test.</summary>
[Collection(CosmosServerCollection.Name)]
public sealed class CosmosResourceStoreTests(CosmosServerFixture server) : ResourceStoreContract
{
    private readonly CosmosTestDatabases _databases = new(server);

    protected override async Task<IResourceStore> CreateEmptyStoreAsync() => await _databases.OpenStoreAsync();

    /// <summary>No transaction across partitions: multi-operation transactions are refused (422), batches work.</summary>
    protected override bool SupportsAtomicTransactions => false;

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _databases.Dispose();
    }
}
