using ConsentService.Infrastructure.Cosmos;
using Microsoft.Azure.Cosmos;

namespace ConsentService.Stores.Tests.Cosmos;

/// <summary>Opens stores on fresh databases of the shared test server over one client. Databases are not
/// dropped: the server lives in memory for this test run only, and it reuses the resource ids of dropped
/// databases, which the client's caches would confuse.</summary>
public sealed class CosmosTestDatabases(CosmosServerFixture server) : IDisposable
{
    private CosmosClient? _client;

    public CosmosOptions Options(string database) => new()
    {
        ConnectionString = server.ConnectionString,
        Database = database,
        DisableServerCertificateValidation = true,
    };

    public CosmosClient Client => _client ??= CosmosContainers.CreateClient(Options("unused"));

    /// <summary>Creates a fresh database with its containers (avoiding the test server's '/' quirk) and returns its
    /// name, for a service that opens it itself.</summary>
    public async Task<string> NewDatabaseAsync()
    {
        while (true)
        {
            var database = "t" + Guid.NewGuid().ToString("N");
            var containers = await CosmosContainers.OpenAsync(Client, database, ownsClient: false, CancellationToken.None);
            if (!await HasSlashInResourceIdAsync(containers))
                return database;
        }
    }

    public async Task<CosmosResourceStore> OpenStoreAsync(string? database = null, TimeSpan? lease = null)
    {
        database ??= "t" + Guid.NewGuid().ToString("N");
        var options = Options(database);
        if (lease is { } l)
            options.IntentLease = l;
        var containers = await CosmosContainers.OpenAsync(Client, database, ownsClient: false, CancellationToken.None);
        if (await HasSlashInResourceIdAsync(containers))
            return await OpenStoreAsync(null, lease); // a test-server quirk, see below
        return await CosmosResourceStore.OpenAsync(containers, options);
    }

    /// <summary>The test server derives resource ids from counters, and some come out with a '/' in their
    /// base64, which breaks the request paths the SDK builds from them ("stale cache" 404s). Real Cosmos DB
    /// resource ids never contain '/'; such a database is skipped.</summary>
    private static async Task<bool> HasSlashInResourceIdAsync(CosmosContainers containers)
    {
        foreach (var container in new[] { containers.Resources, containers.Audit })
        {
            var properties = (await container.ReadContainerAsync()).Resource;
            // "dbs/{rid}/colls/{rid}/": four segments unless a rid holds a '/'
            if (properties.SelfLink.Split('/', StringSplitOptions.RemoveEmptyEntries).Length != 4)
                return true;
        }
        return false;
    }

    public void Dispose() => _client?.Dispose();
}
