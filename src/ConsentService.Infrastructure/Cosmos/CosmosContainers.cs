using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Azure.Cosmos;

namespace ConsentService.Infrastructure.Cosmos;

/// <summary>
/// The client and the two containers of the store: <c>resources</c> (versions, current pointers, index postings,
/// unique keys, the sequence counter) and <c>audit</c>, both partitioned on <c>/pk</c>. See docs/storage.md
/// ("Cosmos DB"). Gateway mode, System.Text.Json.
/// </summary>
public sealed class CosmosContainers : IDisposable
{
    public const string ResourcesName = "resources";
    public const string AuditName = "audit";
    public const string PartitionKeyPath = "/pk";

    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly bool _ownsClient;

    private CosmosContainers(CosmosClient client, Database database, Container resources, Container audit, bool ownsClient)
    {
        _ownsClient = ownsClient;
        Client = client;
        Database = database;
        Resources = resources;
        Audit = audit;
    }

    public CosmosClient Client { get; }
    public Database Database { get; }
    public Container Resources { get; }
    public Container Audit { get; }

    /// <summary>Connects and creates the database and its containers when missing.</summary>
    public static async Task<CosmosContainers> OpenAsync(CosmosOptions options, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(options.ConnectionString);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Database);
        var client = CreateClient(options);
        try
        {
            return await OpenAsync(client, options.Database, ownsClient: true, ct).ConfigureAwait(false);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    public static CosmosClient CreateClient(CosmosOptions options) => new(options.ConnectionString, ClientOptions(options));

    /// <summary>Opens (creating when missing) <paramref name="databaseName"/> and its containers on a client.</summary>
    public static async Task<CosmosContainers> OpenAsync(CosmosClient client, string databaseName, bool ownsClient, CancellationToken ct)
    {
        var database = (await client.CreateDatabaseIfNotExistsAsync(databaseName, cancellationToken: ct).ConfigureAwait(false)).Database;
        var resources = (await database.CreateContainerIfNotExistsAsync(ResourcesName, PartitionKeyPath, cancellationToken: ct).ConfigureAwait(false)).Container;
        var audit = (await database.CreateContainerIfNotExistsAsync(AuditName, PartitionKeyPath, cancellationToken: ct).ConfigureAwait(false)).Container;
        return new CosmosContainers(client, database, resources, audit, ownsClient);
    }

    private static CosmosClientOptions ClientOptions(CosmosOptions options)
    {
        var clientOptions = new CosmosClientOptions
        {
            ConnectionMode = ConnectionMode.Gateway,
            UseSystemTextJsonSerializerWithOptions = Json,
            RequestTimeout = options.RequestTimeout,
            MaxRetryAttemptsOnRateLimitedRequests = options.MaxRetryAttemptsOnRateLimitedRequests,
            MaxRetryWaitTimeOnRateLimitedRequests = options.MaxRetryWaitTimeOnRateLimitedRequests,
            ApplicationName = "ConsentService",
        };
        if (options.DisableServerCertificateValidation)
        {
            clientOptions.LimitToEndpoint = true;
            clientOptions.HttpClientFactory = () => new HttpClient(new HttpClientHandler
            {
                ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator,
            });
        }
        return clientOptions;
    }

    /// <summary>Single-partition query. The test server (and the SDK's direct path) need the partition key in the
    /// query text itself, <c>WHERE c.pk = @pk AND ...</c>; optimistic direct execution skips the query plan.</summary>
    internal static async Task<List<T>> QueryPartitionAsync<T>(Container container, string pk, string sql, IEnumerable<(string Name, object Value)> parameters, CancellationToken ct)
    {
        var definition = new QueryDefinition(sql).WithParameter("@pk", pk);
        foreach (var (name, value) in parameters)
            definition = definition.WithParameter(name, value);
        var options = new QueryRequestOptions
        {
            PartitionKey = new PartitionKey(pk),
            EnableOptimisticDirectExecution = true,
            MaxItemCount = 1000,
        };
        var results = new List<T>();
        using var iterator = container.GetItemQueryIterator<T>(definition, requestOptions: options);
        while (iterator.HasMoreResults)
            results.AddRange(await iterator.ReadNextAsync(ct).ConfigureAwait(false));
        return results;
    }

    internal static bool Is(CosmosException ex, HttpStatusCode status) => ex.StatusCode == status;

    public void Dispose()
    {
        if (_ownsClient)
            Client.Dispose();
    }
}
