using ConsentService.Infrastructure.Sqlite;
using Microsoft.Extensions.Options;

namespace ConsentService.Infrastructure;

/// <summary>Configuration section <c>Storage</c>: which store runs, and its settings.</summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";

    /// <summary><c>Sqlite</c> (default, embedded). <c>Cosmos</c> is reserved for the scale-out store.</summary>
    public string Provider { get; set; } = "Sqlite";

    /// <summary>Section <c>Storage:Sqlite</c>.</summary>
    public SqliteOptions Sqlite { get; set; } = new();
}

/// <summary>Stops the process at start with a clear message when the storage configuration cannot work.</summary>
public sealed class StorageOptionsValidator : IValidateOptions<StorageOptions>
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
            return ValidateOptionsResult.Fail(
                "Storage:Provider 'Cosmos' is not available in this version; use 'Sqlite' (the embedded store).");
        }
        return ValidateOptionsResult.Fail($"Storage:Provider must be 'Sqlite'; '{options.Provider}' is not a known store.");
    }
}
