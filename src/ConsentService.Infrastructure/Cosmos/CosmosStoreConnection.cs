using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using ConsentService.Application;
using ConsentService.Application.Ports;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Logging;

namespace ConsentService.Infrastructure.Cosmos;

/// <summary>
/// The service's connection to the Cosmos DB store: opened on first use (database and containers created, dead
/// writers' intents resolved) and opened again on a later call when that failed, so a process that starts while
/// Cosmos DB is unreachable serves 503s and becomes ready when it is back. Every failure that means "the store
/// cannot be reached or is overloaded" (after the SDK's own retries) becomes <see cref="ServiceUnavailableException"/>:
/// writes and decisions answer 503, never a permit.
/// </summary>
public sealed class CosmosStoreConnection(CosmosOptions options, ILogger<CosmosResourceStore>? logger = null) : IAsyncDisposable
{
    private readonly SemaphoreSlim _opening = new(1, 1);
    private volatile CosmosResourceStore? _store;

    public async Task<CosmosResourceStore> StoreAsync(CancellationToken ct)
    {
        if (_store is { } open)
            return open;
        await _opening.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            return _store ??= await Guard(() => CosmosResourceStore.OpenAsync(options, logger, ct: ct), ct).ConfigureAwait(false);
        }
        finally
        {
            _opening.Release();
        }
    }

    /// <summary>Runs a store call, translating unavailability into <see cref="ServiceUnavailableException"/>.</summary>
    public static async Task<T> Guard<T>(Func<Task<T>> call, CancellationToken ct)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception ex) when (IsUnavailable(ex, ct))
        {
            throw new ServiceUnavailableException("The Cosmos DB store is not reachable.", ex);
        }
    }

    /// <summary>Unreachable, timed out, throttled beyond the retry budget, or failing on the server side.</summary>
    public static bool IsUnavailable(Exception ex, CancellationToken ct) => ex switch
    {
        ServiceException => false,
        CosmosException c => c.StatusCode is HttpStatusCode.ServiceUnavailable or HttpStatusCode.RequestTimeout
            or HttpStatusCode.TooManyRequests or HttpStatusCode.InternalServerError or HttpStatusCode.BadGateway
            or HttpStatusCode.GatewayTimeout or (HttpStatusCode)449 or 0,
        HttpRequestException or SocketException or TimeoutException => true,
        OperationCanceledException => !ct.IsCancellationRequested, // the SDK's request timeout
        AggregateException a => a.InnerExceptions.Any(i => IsUnavailable(i, ct)),
        _ => ex.InnerException is { } inner && IsUnavailable(inner, ct),
    };

    public async ValueTask DisposeAsync()
    {
        if (_store is { } store)
            await store.DisposeAsync().ConfigureAwait(false);
        _opening.Dispose();
    }
}

/// <summary><see cref="IResourceStore"/> through a <see cref="CosmosStoreConnection"/> (503 when unreachable).</summary>
public sealed class CosmosResourceStoreAccess(CosmosStoreConnection connection) : IResourceStore
{
    private async Task<T> Run<T>(Func<CosmosResourceStore, Task<T>> call, CancellationToken ct)
    {
        var store = await connection.StoreAsync(ct).ConfigureAwait(false);
        return await CosmosStoreConnection.Guard(() => call(store), ct).ConfigureAwait(false);
    }

    public Task<StoredResource> CreateAsync(ResourceWrite write, CancellationToken ct) => Run(s => s.CreateAsync(write, ct), ct);

    public Task<(StoredResource Resource, bool Created)> CreateIfNoneExistAsync(ResourceWrite write, SearchQuery ifNoneExist, CancellationToken ct) =>
        Run(s => s.CreateIfNoneExistAsync(write, ifNoneExist, ct), ct);

    public Task<(StoredResource Resource, bool Created)> UpsertAsync(ResourceWrite write, CancellationToken ct) => Run(s => s.UpsertAsync(write, ct), ct);

    public Task<StoredResource?> DeleteAsync(string resourceType, string id, int? ifMatchVersion, CancellationToken ct, WriteAudit? audit = null) =>
        Run(s => s.DeleteAsync(resourceType, id, ifMatchVersion, ct, audit), ct);

    public Task<IReadOnlyList<TransactionOutcome>> TransactAsync(IReadOnlyList<TransactionOperation> operations, CancellationToken ct) =>
        Run(s => s.TransactAsync(operations, ct), ct);

    public Task<StoredResource?> ReadAsync(string resourceType, string id, CancellationToken ct) => Run(s => s.ReadAsync(resourceType, id, ct), ct);

    public Task<StoredResource?> ReadVersionAsync(string resourceType, string id, int versionId, CancellationToken ct) =>
        Run(s => s.ReadVersionAsync(resourceType, id, versionId, ct), ct);

    public Task<StoredResource?> ReadAsOfAsync(string resourceType, string id, long sequence, CancellationToken ct) =>
        Run(s => s.ReadAsOfAsync(resourceType, id, sequence, ct), ct);

    public Task<HistoryPage> HistoryAsync(string resourceType, string? id, HistoryQuery query, CancellationToken ct) =>
        Run(s => s.HistoryAsync(resourceType, id, query, ct), ct);

    public Task<SearchPage> SearchAsync(SearchQuery query, CancellationToken ct) => Run(s => s.SearchAsync(query, ct), ct);

    public async IAsyncEnumerable<StoredResource> StreamAsync(SearchQuery query, [EnumeratorCancellation] CancellationToken ct)
    {
        var store = await connection.StoreAsync(ct).ConfigureAwait(false);
        await using var items = store.StreamAsync(query, ct).GetAsyncEnumerator(ct);
        while (await CosmosStoreConnection.Guard(async () => await items.MoveNextAsync().ConfigureAwait(false), ct).ConfigureAwait(false))
            yield return items.Current;
    }

    public Task<StoredResource?> FindByUniqueKeyAsync(string resourceType, string key, CancellationToken ct) =>
        Run(s => s.FindByUniqueKeyAsync(resourceType, key, ct), ct);

    public Task<long> SequenceAtAsync(DateTimeOffset instant, CancellationToken ct) => Run(s => s.SequenceAtAsync(instant, ct), ct);

    public Task<long> CurrentSequenceAsync(CancellationToken ct) => Run(s => s.CurrentSequenceAsync(ct), ct);

    /// <summary>None: several replicas write the same containers (<see cref="CosmosResourceStore.Changes"/>).</summary>
    public WriteStamps? Changes => null;

    public async Task<bool> PingAsync(CancellationToken ct)
    {
        try
        {
            return await (await connection.StoreAsync(ct).ConfigureAwait(false)).PingAsync(ct).ConfigureAwait(false);
        }
        catch (ServiceUnavailableException)
        {
            return false;
        }
    }
}

/// <summary><see cref="IAuditLog"/> through a <see cref="CosmosStoreConnection"/> (503 when unreachable).</summary>
public sealed class CosmosAuditLogAccess(CosmosStoreConnection connection) : IAuditLog
{
    private async Task<T> Run<T>(Func<CosmosAuditLog, Task<T>> call, CancellationToken ct)
    {
        var log = (await connection.StoreAsync(ct).ConfigureAwait(false)).AuditLog;
        return await CosmosStoreConnection.Guard(() => call(log), ct).ConfigureAwait(false);
    }

    public Task AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken ct) =>
        Run(async l => { await l.AppendAsync(records, ct).ConfigureAwait(false); return true; }, ct);

    public Task<AuditRecord?> ReadAsync(string id, CancellationToken ct) => Run(l => l.ReadAsync(id, ct), ct);

    public Task<SearchPage> SearchAsync(SearchQuery query, CancellationToken ct) => Run(l => l.SearchAsync(query, ct), ct);

    public Task<IReadOnlyList<string>> ChainsAsync(CancellationToken ct) => Run(l => l.ChainsAsync(ct), ct);

    public Task<bool> IsWritableAsync(CancellationToken ct) => Run(l => l.IsWritableAsync(ct), ct);

    public Task<IReadOnlyList<ChainedAuditRecord>> ReadChainAsync(string chain, long afterSequence, int limit, CancellationToken ct) =>
        Run(l => l.ReadChainAsync(chain, afterSequence, limit, ct), ct);
}
