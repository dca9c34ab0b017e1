using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ConsentService.Api.Tests.Security;

/// <summary>
/// Builds JWTs by hand (header, payload, HMAC-SHA256 signature) so that tests can also build the broken ones a
/// real token library refuses to make: unsigned (<c>alg: none</c>), tampered after signing, signed with another key.
/// </summary>
public sealed record TestToken
{
    public string Issuer { get; init; } = SecureServiceFactory.Issuer;
    public string Audience { get; init; } = SecureServiceFactory.Audience;
    public string Key { get; init; } = SecureServiceFactory.SigningKey;
    public string Algorithm { get; init; } = "HS256";
    public string? ClientId { get; init; } = "test-client";
    public string? Subject { get; init; } = "service-account-1";
    public string Scope { get; init; } = "";
    public string? Actor { get; init; }
    public string? ActorIdentifier { get; init; }
    public string? Patient { get; init; }
    public DateTimeOffset NotBefore { get; init; } = DateTimeOffset.UtcNow.AddMinutes(-1);
    public DateTimeOffset Expires { get; init; } = DateTimeOffset.UtcNow.AddMinutes(10);
    public bool WithExpiry { get; init; } = true;

    public static TestToken System(string scope) => new() { Scope = scope };

    /// <summary>Every system scope and the decision scope: an integration engine that seeds data.</summary>
    public static TestToken Admin => new() { ClientId = "ehr-integration", Scope = "system/Consent.cruds system/ImagingStudy.cruds system/AuditEvent.rs ai-training.decide" };

    public static TestToken Vendor(string actor = "Organization/acme-ai", string scope = "ai-training.decide") =>
        new() { ClientId = actor.Replace("Organization/", "vendor-", StringComparison.Ordinal), Actor = actor, Scope = scope };

    public static TestToken PatientApp(string patient, string scope = "patient/Consent.rs patient/AuditEvent.rs") =>
        new() { ClientId = "patient-portal", Subject = "portal-user-" + patient, Patient = patient, Scope = scope };

    public string Build()
    {
        var header = new JsonObject { ["alg"] = Algorithm, ["typ"] = "JWT" };
        var payload = new JsonObject
        {
            ["iss"] = Issuer,
            ["aud"] = Audience,
            ["nbf"] = NotBefore.ToUnixTimeSeconds(),
            ["iat"] = NotBefore.ToUnixTimeSeconds(),
            ["scope"] = Scope,
        };
        if (WithExpiry) payload["exp"] = Expires.ToUnixTimeSeconds();
        if (ClientId is not null) payload["client_id"] = ClientId;
        if (Subject is not null) payload["sub"] = Subject;
        if (Actor is not null) payload["actor"] = Actor;
        if (ActorIdentifier is not null) payload["actor_identifier"] = ActorIdentifier;
        if (Patient is not null) payload["patient"] = Patient;
        var signingInput = $"{Encode(header)}.{Encode(payload)}";
        return Algorithm == "none" ? signingInput + "." : $"{signingInput}.{Sign(signingInput, Key)}";
    }

    public static string Sign(string signingInput, string key) =>
        Base64Url(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(signingInput)));

    /// <summary>The token with its payload replaced after signing (the signature no longer matches).</summary>
    public static string TamperPayload(string token, Action<JsonObject> change)
    {
        var parts = token.Split('.');
        var payload = JsonNode.Parse(Encoding.UTF8.GetString(FromBase64Url(parts[1])))!.AsObject();
        change(payload);
        return $"{parts[0]}.{Encode(payload)}.{parts[2]}";
    }

    private static string Encode(JsonNode node) => Base64Url(Encoding.UTF8.GetBytes(node.ToJsonString(new JsonSerializerOptions())));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromBase64Url(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(padded.PadRight(padded.Length + ((4 - (padded.Length % 4)) % 4), '='));
    }
}
