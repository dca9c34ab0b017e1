using ConsentService.Infrastructure.Cosmos;
using ConsentService.Infrastructure.Sqlite;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ConsentService.Infrastructure;

/// <summary>Configuration section <c>Storage</c>: which store runs, and its settings.</summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";

    /// <summary><c>Sqlite</c> (default, embedded) or <c>Cosmos</c> (Azure Cosmos DB, several replicas).</summary>
    public string Provider { get; set; } = "Sqlite";

    /// <summary>Section <c>Storage:Sqlite</c>.</summary>
    public SqliteOptions Sqlite { get; set; } = new();

    /// <summary>Section <c>Storage:Cosmos</c>.</summary>
    public CosmosOptions Cosmos { get; set; } = new();
}

/// <summary>Stops the process at start with a clear message when the storage configuration cannot work.</summary>
public sealed class StorageOptionsValidator(IHostEnvironment? environment = null) : IValidateOptions<StorageOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        if (string.Equals(options.Provider, "Sqlite", StringComparison.OrdinalIgnoreCase))
        {
            return string.IsNullOrWhiteSpace(options.Sqlite.Path)
                ? ValidateOptionsResult.Fail("Storage:Sqlite:Path must name the SQLite database file.")
                : ValidateOptionsResult.Success;
        }
        if (string.Equals(options.Provider, "Cosmos", StringComparison.OrdinalIgnoreCase))
        {
            var failures = new List<string>();
            if (string.IsNullOrWhiteSpace(options.Cosmos.ConnectionString))
                failures.Add("Storage:Provider 'Cosmos' is not available without Storage:Cosmos:ConnectionString (AccountEndpoint=https://...;AccountKey=...;).");
            if (string.IsNullOrWhiteSpace(options.Cosmos.Database))
                failures.Add("Storage:Provider 'Cosmos' is not available without Storage:Cosmos:Database (the database name; it is created when missing).");
            if (options.Cosmos.DisableServerCertificateValidation && environment?.IsProduction() == true)
                failures.Add("Storage:Cosmos:DisableServerCertificateValidation is for the local test server only and is refused in Production.");
            if (options.Cosmos.IntentLease <= TimeSpan.Zero || options.Cosmos.RequestTimeout <= TimeSpan.Zero)
                failures.Add("Storage:Cosmos:IntentLease and Storage:Cosmos:RequestTimeout must be positive.");
            if (options.Cosmos.MaxRetryAttemptsOnRateLimitedRequests < 0 || options.Cosmos.MaxRetryWaitTimeOnRateLimitedRequests < TimeSpan.Zero)
                failures.Add("Storage:Cosmos:MaxRetryAttemptsOnRateLimitedRequests and MaxRetryWaitTimeOnRateLimitedRequests must not be negative.");
            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
        return ValidateOptionsResult.Fail($"Storage:Provider must be 'Sqlite' or 'Cosmos'; '{options.Provider}' is not a known store.");
    }
}
