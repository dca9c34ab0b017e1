using ConsentService.Stores.Tests.Cosmos;
using Microsoft.AspNetCore.Hosting;

namespace ConsentService.Api.Tests.Cosmos;

/// <summary>The real service in-process on the Cosmos DB test server: a fresh database unless one is given (two
/// factories on one database are two replicas). Extra settings (e.g. the default policy) go on top.</summary>
public class CosmosServiceFactory : ConsentServiceFactory
{
    private readonly CosmosTestDatabases _databases;
    private readonly IReadOnlyDictionary<string, string> _settings;

    public CosmosServiceFactory(CosmosServerFixture server, string? database = null, IReadOnlyDictionary<string, string>? settings = null)
    {
        _databases = new CosmosTestDatabases(server);
        ConnectionString = server.ConnectionString;
        Database = database ?? _databases.NewDatabaseAsync().GetAwaiter().GetResult();
        _settings = settings ?? new Dictionary<string, string>();
    }

    public string ConnectionString { get; }

    public string Database { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Storage:Provider", "Cosmos");
        builder.UseSetting("Storage:Cosmos:ConnectionString", ConnectionString);
        builder.UseSetting("Storage:Cosmos:Database", Database);
        builder.UseSetting("Storage:Cosmos:DisableServerCertificateValidation", "true");
        foreach (var (key, value) in _settings)
            builder.UseSetting(key, value);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
            _databases.Dispose();
    }
}
