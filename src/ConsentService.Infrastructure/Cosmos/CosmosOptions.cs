namespace ConsentService.Infrastructure.Cosmos;

/// <summary>Options of the Azure Cosmos DB store (bound from <c>Storage:Cosmos</c>).</summary>
public sealed class CosmosOptions
{
    /// <summary><c>AccountEndpoint=https://...;AccountKey=...;</c></summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>The database; it and its containers are created at start when missing.</summary>
    public string Database { get; set; } = "";

    /// <summary>Accept any server certificate. Only for the local test server; refused in Production.</summary>
    public bool DisableServerCertificateValidation { get; set; }

    /// <summary>How long a write may stay between its intent and its commit before a recovery sweep treats the
    /// writer as dead (and the writer itself gives up at half of it).</summary>
    public TimeSpan IntentLease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Per-request timeout of the SDK.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the SDK retries a throttled (429) request before the store answers 503.</summary>
    public int MaxRetryAttemptsOnRateLimitedRequests { get; set; } = 9;

    /// <summary>The longest the SDK keeps retrying one throttled request; below half the intent lease, so a
    /// throttled writer fences itself rather than commit after the sweep may have removed its version.</summary>
    public TimeSpan MaxRetryWaitTimeOnRateLimitedRequests { get; set; } = TimeSpan.FromSeconds(10);
}
