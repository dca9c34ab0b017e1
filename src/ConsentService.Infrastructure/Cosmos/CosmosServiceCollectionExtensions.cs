using ConsentService.Application.Ports;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ConsentService.Infrastructure.Cosmos;

public static class CosmosServiceCollectionExtensions
{
    /// <summary>Registers <see cref="CosmosResourceStore"/> (opened on first use: database and containers
    /// created when missing, dead writers' intents resolved) as <see cref="IResourceStore"/> and
    /// <see cref="CosmosAuditLog"/> as <see cref="IAuditLog"/>. Options come from <see cref="IOptions{CosmosOptions}"/>.</summary>
    public static IServiceCollection AddCosmosStore(this IServiceCollection services)
    {
        services.TryAddSingleton(sp => CosmosResourceStore.OpenAsync(
            sp.GetRequiredService<IOptions<CosmosOptions>>().Value,
            sp.GetService<ILogger<CosmosResourceStore>>()).GetAwaiter().GetResult());
        services.TryAddSingleton<IResourceStore>(sp => sp.GetRequiredService<CosmosResourceStore>());
        services.TryAddSingleton<IAuditLog>(sp => sp.GetRequiredService<CosmosResourceStore>().AuditLog);
        return services;
    }
}
