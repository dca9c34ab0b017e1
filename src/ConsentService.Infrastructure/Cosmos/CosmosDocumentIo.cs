using System.Net;
using System.Text.Json;
using Microsoft.Azure.Cosmos;

namespace ConsentService.Infrastructure.Cosmos;

/// <summary>Point operations that answer "missing" or "lost the race" as values rather than exceptions.</summary>
internal static class CosmosDocumentIo
{
    // The test server answers 500 instead of 404 to a point read of a missing document unless this header is
    // set (it then skips a partition check that dereferences the missing document). Real Cosmos DB ignores the
    // header on point reads.
    private static readonly ItemRequestOptions ReadOptions = new()
    {
        AddRequestHeaders = headers => headers.Add("x-ms-documentdb-query-enablecrosspartition", "true"),
    };

    public static async Task<(T? Doc, string? ETag)> ReadAsync<T>(Container container, string id, string pk, CancellationToken ct)
        where T : class
    {
        using var response = await container.ReadItemStreamAsync(id, new PartitionKey(pk), ReadOptions, ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
            return (null, null);
        response.EnsureSuccessStatusCode();
        var doc = await JsonSerializer.DeserializeAsync<T>(response.Content, CosmosContainers.Json, ct).ConfigureAwait(false);
        return (doc, response.Headers.ETag);
    }

    /// <summary>Creates; false when a document with the id already exists in the partition (409).</summary>
    public static async Task<bool> TryCreateAsync<T>(Container container, T doc, string pk, CancellationToken ct)
    {
        try
        {
            await container.CreateItemAsync(doc, new PartitionKey(pk), NoContent, ct).ConfigureAwait(false);
            return true;
        }
        catch (CosmosException ex) when (ex.StatusCode == HttpStatusCode.Conflict)
        {
            return false;
        }
    }

    /// <summary>Replaces when the document still has <paramref name="etag"/>; false on 412 (or 404: it is gone).</summary>
    public static async Task<bool> TryReplaceAsync<T>(Container container, T doc, string id, string pk, string etag, CancellationToken ct)
    {
        try
        {
            await container.ReplaceItemAsync(doc, id, new PartitionKey(pk), new ItemRequestOptions { IfMatchEtag = etag, EnableContentResponseOnWrite = false }, ct).ConfigureAwait(false);
            return true;
        }
        catch (CosmosException ex) when (ex.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    /// <summary>Deletes (only when it still has <paramref name="etag"/>, if given); a missing document is fine.</summary>
    public static async Task<bool> DeleteAsync(Container container, string id, string pk, string? etag, CancellationToken ct)
    {
        using var response = await container.DeleteItemStreamAsync(id, new PartitionKey(pk),
            etag is null ? null : new ItemRequestOptions { IfMatchEtag = etag }, ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.PreconditionFailed)
            return false;
        if (response.StatusCode != HttpStatusCode.NotFound)
            response.EnsureSuccessStatusCode();
        return true;
    }

    private static readonly ItemRequestOptions NoContent = new() { EnableContentResponseOnWrite = false };

    /// <summary>A short randomised pause before retrying a lost race.</summary>
    public static Task BackoffAsync(int attempt, CancellationToken ct) =>
        Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 3 + Math.Min(attempt, 10) * 3)), ct);
}
