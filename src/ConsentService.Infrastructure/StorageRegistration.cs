using ConsentService.Infrastructure.Cosmos;
using ConsentService.Infrastructure.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ConsentService.Infrastructure;

public static class StorageRegistration
{
    /// <summary>Binds <c>Storage</c> (validated at start: an unusable provider stops the process with a clear
    /// message) and registers the configured store behind the ports.</summary>
    public static IServiceCollection AddStorage(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(StorageOptions.Section);
        services.AddOptions<StorageOptions>().Bind(section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<StorageOptions>, StorageOptionsValidator>();
        if (string.Equals(section["Provider"], "Cosmos", StringComparison.OrdinalIgnoreCase))
        {
            // nothing SQLite is registered: no file is opened or written
            services.AddOptions<CosmosOptions>().Bind(section.GetSection("Cosmos"));
            services.AddCosmosStore();
            return services;
        }
        services.AddOptions<SqliteOptions>().Bind(section.GetSection("Sqlite")).ValidateOnStart();
        services.AddSqliteStore();
        return services;
    }
}
