using System.Text;
using Microsoft.Extensions.Options;

namespace ConsentService.Api.Security;

/// <summary>
/// Configuration section <c>Auth</c>: how bearer tokens are trusted. Exactly one way: <see cref="Authority"/> (an
/// OpenID Connect issuer; keys from its discovery document and JWKS) or <see cref="SigningKey"/> (a shared HS256
/// key, for integration tests and small installs). Without either, only the Development environment starts, and
/// then open (every request fully authorised, with a loud warning).
/// </summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>The OpenID Connect issuer URL (e.g. https://login.example.org/realms/hospital).</summary>
    public string? Authority { get; set; }

    /// <summary>The HS256 shared key as text; its UTF-8 bytes are the key (at least 32 bytes).</summary>
    public string? SigningKey { get; set; }

    /// <summary>The expected <c>iss</c>. Required with <see cref="SigningKey"/>; with <see cref="Authority"/> the
    /// discovery document's issuer is used when this is empty.</summary>
    public string? Issuer { get; set; }

    /// <summary>The expected <c>aud</c> (this service's identifier at the authorization server).</summary>
    public string? Audience { get; set; }

    /// <summary>Tolerance for <c>exp</c> and <c>nbf</c> between clocks, in seconds (0..300, default 30).</summary>
    public int ClockSkewSeconds { get; set; } = 30;

    /// <summary>Discovery over HTTPS only (default true; false only for a local test authority).</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>The token endpoint to publish in SMART discovery when the authority's discovery document cannot
    /// say (always with <see cref="SigningKey"/>); optional.</summary>
    public string? TokenEndpoint { get; set; }

    public const int MinimumKeyBytes = 32;

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Authority) || !string.IsNullOrWhiteSpace(SigningKey);

    /// <summary>No Auth setting at all: the only case in which Development runs open.</summary>
    public bool IsEmpty => !IsConfigured && string.IsNullOrWhiteSpace(Issuer) && string.IsNullOrWhiteSpace(Audience)
        && string.IsNullOrWhiteSpace(TokenEndpoint);

    public byte[] SigningKeyBytes() => Encoding.UTF8.GetBytes(SigningKey ?? "");
}

/// <summary>Whether this process authenticates requests or runs open (Development without any Auth setting).</summary>
public sealed class AuthMode(IOptions<AuthOptions> options, IHostEnvironment environment)
{
    public bool IsOpen { get; } = environment.IsDevelopment() && options.Value.IsEmpty;
}

/// <summary>Stops the process at start, with a message saying what to set, when tokens could not be trusted.</summary>
public sealed class AuthOptionsValidator(IHostEnvironment environment) : IValidateOptions<AuthOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        if (options.IsEmpty)
        {
            return environment.IsDevelopment()
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail(
                    $"Authentication is not configured, and the {environment.EnvironmentName} environment does not run without it: set "
                    + "Auth:Authority (an OpenID Connect issuer) or Auth:SigningKey (an HS256 key of at least 32 bytes, with Auth:Issuer), "
                    + "and Auth:Audience. Only the Development environment may run open, without any Auth setting.");
        }
        var failures = new List<string>();
        var hasAuthority = !string.IsNullOrWhiteSpace(options.Authority);
        var hasKey = !string.IsNullOrWhiteSpace(options.SigningKey);
        if (hasAuthority == hasKey)
        {
            failures.Add(hasKey
                ? "Set either Auth:Authority or Auth:SigningKey, not both: one way of trusting tokens."
                : "Auth settings are given, so authentication is enforced: set Auth:Authority (an OpenID Connect issuer) or Auth:SigningKey (HS256).");
        }
        if (hasAuthority && !IsUrl(options.Authority!, options.RequireHttpsMetadata))
        {
            failures.Add("Auth:Authority must be an absolute " + (options.RequireHttpsMetadata ? "https" : "http(s)") + " URL of the OpenID Connect issuer.");
        }
        if (hasKey && options.SigningKeyBytes().Length < AuthOptions.MinimumKeyBytes)
        {
            failures.Add($"Auth:SigningKey must be at least {AuthOptions.MinimumKeyBytes} bytes (256 bits) for HS256.");
        }
        if (hasKey && string.IsNullOrWhiteSpace(options.Issuer))
        {
            failures.Add("Auth:Issuer is required with Auth:SigningKey: the iss every accepted token must carry.");
        }
        if (string.IsNullOrWhiteSpace(options.Audience))
        {
            failures.Add("Auth:Audience is required: the aud every accepted token must carry.");
        }
        if (options.ClockSkewSeconds is < 0 or > 300)
        {
            failures.Add("Auth:ClockSkewSeconds must be between 0 and 300.");
        }
        if (!string.IsNullOrWhiteSpace(options.TokenEndpoint) && !IsUrl(options.TokenEndpoint!, requireHttps: false))
        {
            failures.Add("Auth:TokenEndpoint must be an absolute URL.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool IsUrl(string text, bool requireHttps) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttps || (!requireHttps && uri.Scheme == Uri.UriSchemeHttp));
}
