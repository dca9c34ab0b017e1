using System.Text.Json.Nodes;
using ConsentService.Application.Security;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace ConsentService.Api.Security;

/// <summary>
/// SMART App Launch discovery: <c>/.well-known/smart-configuration</c> and the CapabilityStatement's
/// <c>rest.security</c>. Endpoints come from the authority's OpenID Connect discovery document (cached by JwtBearer),
/// or from <c>Auth:TokenEndpoint</c>; when neither can say, they are left out rather than guessed.
/// </summary>
public sealed class SmartDiscovery(IOptions<AuthOptions> auth, AuthMode mode, IOptions<CorsSettings> cors,
    IOptionsMonitor<JwtBearerOptions> jwt, ILogger<SmartDiscovery> logger)
{
    public const string OAuthUrisExtension = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris";
    public const string SecurityServiceSystem = "http://terminology.hl7.org/CodeSystem/restful-security-service";

    /// <summary>The scopes this service understands (v2 forms; v1 .read/.write/.* are accepted too).</summary>
    public static readonly IReadOnlyList<string> ScopesSupported =
    [
        "system/Consent.cruds", "system/Consent.rs", "system/ImagingStudy.cruds", "system/ImagingStudy.rs",
        "system/AuditEvent.rs", "system/AuditEvent.c", "user/Consent.cruds", "user/Consent.rs", "user/ImagingStudy.rs",
        "user/AuditEvent.rs", "patient/Consent.rs", "patient/AuditEvent.rs", ScopeNames.Decide,
    ];

    private sealed record Endpoints(string? Issuer, string? Token, string? Authorize, string? Jwks, IReadOnlyList<string> AuthMethods);

    private async Task<Endpoints> EndpointsAsync(CancellationToken ct)
    {
        var options = auth.Value;
        OpenIdConnectConfiguration? discovered = null;
        if (!string.IsNullOrWhiteSpace(options.Authority) && jwt.Get(JwtBearerDefaults.AuthenticationScheme).ConfigurationManager is { } manager)
        {
            try
            {
                discovered = await manager.GetConfigurationAsync(ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogDiscoveryFailed(logger, e.GetType().Name);
            }
        }
        var methods = discovered?.TokenEndpointAuthMethodsSupported is { Count: > 0 } supported
            ? supported.ToList()
            : ["private_key_jwt", "client_secret_basic"];
        return new Endpoints(
            Issuer: options.Issuer is { Length: > 0 } issuer ? issuer : discovered?.Issuer,
            Token: options.TokenEndpoint is { Length: > 0 } token ? token : discovered?.TokenEndpoint,
            Authorize: discovered?.AuthorizationEndpoint,
            Jwks: discovered?.JwksUri,
            AuthMethods: methods);
    }

    public async Task<JsonObject> ConfigurationAsync(CancellationToken ct)
    {
        var endpoints = await EndpointsAsync(ct);
        var document = new JsonObject();
        Add(document, "issuer", endpoints.Issuer);
        Add(document, "jwks_uri", endpoints.Jwks);
        Add(document, "authorization_endpoint", endpoints.Authorize);
        Add(document, "token_endpoint", endpoints.Token);
        document["token_endpoint_auth_methods_supported"] = Array(endpoints.AuthMethods);
        document["grant_types_supported"] = Array(endpoints.Authorize is null ? ["client_credentials"] : ["client_credentials", "authorization_code"]);
        document["scopes_supported"] = Array(ScopesSupported);
        document["response_types_supported"] = Array(["code"]);
        document["code_challenge_methods_supported"] = Array(["S256"]);
        document["capabilities"] = Array(
        [
            "client-confidential-asymmetric", "client-confidential-symmetric", "permission-v1", "permission-v2",
            "permission-patient", "permission-user", "launch-standalone", "context-standalone-patient",
        ]);
        if (mode.IsOpen)
        {
            document["description"] = "Development open mode: no authentication is enforced.";
        }
        return document;
    }

    /// <summary>Adds <c>rest.security</c> to the CapabilityStatement: SMART-on-FHIR, the OAuth endpoints, CORS.</summary>
    public async Task<CapabilityStatement> SecureAsync(CapabilityStatement statement, CancellationToken ct)
    {
        var endpoints = await EndpointsAsync(ct);
        var security = new CapabilityStatement.SecurityComponent
        {
            Cors = cors.Value.AllowedOrigins.Length > 0,
            Service = [new CodeableConcept(SecurityServiceSystem, "SMART-on-FHIR", "SMART-on-FHIR")],
            Description = mode.IsOpen
                ? "Development open mode: no authentication is enforced. Never run like this with real data."
                : "OAuth 2.0 bearer tokens (SMART Backend Services and SMART App Launch scopes, v1 and v2 forms). "
                    + "See /.well-known/smart-configuration for the scopes.",
        };
        var uris = new Extension { Url = OAuthUrisExtension };
        if (endpoints.Token is { } token)
        {
            uris.Extension.Add(new Extension("token", new FhirUri(token)));
        }
        if (endpoints.Authorize is { } authorize)
        {
            uris.Extension.Add(new Extension("authorize", new FhirUri(authorize)));
        }
        if (uris.Extension.Count > 0)
        {
            security.Extension.Add(uris);
        }
        foreach (var rest in statement.Rest)
        {
            rest.Security = security;
        }
        return statement;
    }

    private static void Add(JsonObject document, string name, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value))
        {
            document[name] = value;
        }
    }

    private static JsonArray Array(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode?)JsonValue.Create(v))]);

    private static void LogDiscoveryFailed(ILogger logger, string errorType) =>
        logger.LogWarning("The authority's OpenID Connect discovery document could not be read ({ErrorType}); SMART discovery omits its endpoints", errorType);
}
