using System.Reflection;
using ConsentService.Application.Behaviours;
using FluentValidation;
using MediatR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ConsentService.Application;

public static class DependencyInjection
{
    /// <summary>
    /// Registers MediatR 5.1 by hand (its DI package does not restore here): the mediator, every request
    /// handler in this assembly, the validation behaviour, and the FluentValidation validators.
    /// </summary>
    public static IServiceCollection AddApplication(this IServiceCollection services)
    {
        var assembly = typeof(DependencyInjection).Assembly;
        services.AddScoped<ServiceFactory>(provider => provider.GetService!);
        services.AddScoped<IMediator, Mediator>();
        foreach (var (service, implementation) in HandlerRegistrations(assembly))
        {
            services.AddScoped(service, implementation);
        }
        services.AddScoped(typeof(IPipelineBehavior<,>), typeof(ValidationBehaviour<,>));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(Decisions.DecisionSettings.Default);
        services.AddSingleton<Decisions.DecisionFacts>();
        services.AddSingleton<Decisions.DecisionService>();
        services.TryAddSingleton<Audit.IRequestCallerAccessor, Audit.AnonymousCallerAccessor>();
        services.AddSingleton<Audit.AuditTrail>();
        services.AddSingleton<Security.IAccessRefusalSink, Audit.AuditedAccessRefusalSink>();
        services.AddValidatorsFromAssembly(assembly, ServiceLifetime.Singleton, includeInternalTypes: true);
        return services;
    }

    private static IEnumerable<(Type Service, Type Implementation)> HandlerRegistrations(Assembly assembly) =>
        from type in assembly.GetTypes()
        where type is { IsAbstract: false, IsInterface: false, IsGenericTypeDefinition: false }
        from service in type.GetInterfaces()
        where service.IsGenericType && service.GetGenericTypeDefinition() == typeof(IRequestHandler<,>)
        select (service, type);
}
