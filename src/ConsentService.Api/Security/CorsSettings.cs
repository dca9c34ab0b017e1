using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.Extensions.Options;

namespace ConsentService.Api.Security;

/// <summary>Configuration section <c>Cors</c>: browser origins allowed to call the service. Empty (default): CORS
/// is off and browsers on other origins cannot read answers.</summary>
public sealed class CorsSettings
{
    public const string Section = "Cors";

    public string[] AllowedOrigins { get; set; } = [];
}

public sealed class CorsSettingsValidator : IValidateOptions<CorsSettings>
{
    public ValidateOptionsResult Validate(string? name, CorsSettings options)
    {
        var bad = options.AllowedOrigins.Where(o => !IsOrigin(o)).ToList();
        return bad.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail("Cors:AllowedOrigins must list origins such as https://portal.example.org "
                + "(scheme and host, optional port, no path, no wildcard).");
    }

    private static bool IsOrigin(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
        && uri.AbsolutePath == "/" && !text.TrimEnd('/').EndsWith('/') && string.IsNullOrEmpty(uri.Query) && !text.Contains('*', StringComparison.Ordinal);
}

public static class CorsSetup
{
    public static IServiceCollection AddAllowListCors(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<CorsSettings>().Bind(configuration.GetSection(CorsSettings.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<CorsSettings>, CorsSettingsValidator>();
        services.AddCors();
        services.AddOptions<CorsOptions>().Configure<IOptions<CorsSettings>>((cors, settings) =>
        {
            if (settings.Value.AllowedOrigins.Length == 0)
            {
                return;
            }
            cors.AddDefaultPolicy(policy => policy
                .WithOrigins([.. settings.Value.AllowedOrigins.Select(o => o.TrimEnd('/'))])
                .WithMethods("GET", "POST", "PUT", "DELETE")
                .WithHeaders("Authorization", "Content-Type", "Accept", "If-Match", "If-None-Exist", "Prefer")
                .WithExposedHeaders("ETag", "Location", "Last-Modified", "Retry-After", "WWW-Authenticate"));
        });
        return services;
    }
}
