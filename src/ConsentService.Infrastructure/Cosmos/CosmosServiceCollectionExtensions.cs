using ConsentService.Application.Ports;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ConsentService.Infrastructure.Cosmos;

public static class CosmosServiceCollectionExtensions
{
    /// <summary>Registers the Cosmos DB store behind <see cref="IResourceStore"/> and <see cref="IAuditLog"/> through
    /// one <see cref="CosmosStoreConnection"/> (opened on first use: database and containers created when missing,
    /// dead writers' intents resolved; an unreachable store answers 503). Options come from
    /// <see cref="IOptions{CosmosOptions}"/>.</summary>
    public static IServiceCollection AddCosmosStore(this IServiceCollection services)
    {
        services.TryAddSingleton(sp => new CosmosStoreConnection(
            sp.GetRequiredService<IOptions<CosmosOptions>>().Value,
            sp.GetService<ILogger<CosmosResourceStore>>()));
        services.TryAddSingleton<IResourceStore>(sp => new CosmosResourceStoreAccess(sp.GetRequiredService<CosmosStoreConnection>()));
        services.TryAddSingleton<IAuditLog>(sp => new CosmosAuditLogAccess(sp.GetRequiredService<CosmosStoreConnection>()));
        return services;
    }
}
