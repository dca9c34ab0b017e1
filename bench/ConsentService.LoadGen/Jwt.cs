using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace ConsentService.LoadGen;

/// <summary>Mints an HS256 JWT by hand (header.payload.signature, base64url), the way a test identity provider
/// would for a service started with <c>Auth__SigningKey</c>, <c>Auth__Issuer</c> and <c>Auth__Audience</c>.</summary>
public static class Jwt
{
    public static string Mint(byte[] key, string issuer, string audience, string subject, string scope, TimeSpan lifetime,
        IReadOnlyDictionary<string, string>? extraClaims = null)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var claims = new Dictionary<string, object>
        {
            ["iss"] = issuer,
            ["aud"] = audience,
            ["sub"] = subject,
            ["client_id"] = subject,
            ["scope"] = scope,
            ["iat"] = now,
            ["nbf"] = now - 60,
            ["exp"] = now + (long)lifetime.TotalSeconds,
        };
        foreach (var (name, value) in extraClaims ?? new Dictionary<string, string>()) claims[name] = value;
        var header = Base64Url("""{"alg":"HS256","typ":"JWT"}"""u8.ToArray());
        var payload = Base64Url(JsonSerializer.SerializeToUtf8Bytes(claims));
        var signingInput = $"{header}.{payload}";
        var signature = HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(signingInput));
        return $"{signingInput}.{Base64Url(signature)}";
    }

    /// <summary>The signing key as the service reads <c>Auth:SigningKey</c>: its UTF-8 bytes, or base64 when asked.</summary>
    public static byte[] KeyBytes(string key, string encoding) => encoding switch
    {
        "base64" => Convert.FromBase64String(key),
        _ => Encoding.UTF8.GetBytes(key),
    };

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
