using ConsentService.Application.Ports;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ConsentService.Infrastructure.Sqlite;

public static class SqliteServiceCollectionExtensions
{
    /// <summary>Registers <see cref="SqliteResourceStore"/> as the singleton <see cref="IResourceStore"/>.
    /// The container disposes it (closing its connections) when it is disposed. Options come from
    /// <see cref="IOptions{SqliteOptions}"/> (the caller binds them, e.g. from <c>Storage:Sqlite</c>);
    /// <paramref name="configure"/> may adjust them further.</summary>
    public static IServiceCollection AddSqliteStore(this IServiceCollection services, Action<SqliteOptions>? configure = null)
    {
        var options = services.AddOptions<SqliteOptions>()
            .Validate(o => !string.IsNullOrWhiteSpace(o.Path), "Storage:Sqlite:Path must not be empty.");
        if (configure is not null)
            options.Configure(configure);
        services.TryAddSingleton(sp => new SqliteResourceStore(
            sp.GetRequiredService<IOptions<SqliteOptions>>().Value,
            sp.GetService<ILogger<SqliteResourceStore>>()));
        services.TryAddSingleton<IResourceStore>(sp => sp.GetRequiredService<SqliteResourceStore>());
        services.TryAddSingleton<IAuditLog>(sp => new SqliteAuditLog(sp.GetRequiredService<SqliteResourceStore>()));
        return services;
    }
}
