using System.Collections.Concurrent;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ConsentService.Api.Security;

/// <summary>
/// The bearer token handler: <see cref="JsonWebTokenHandler"/> with its successful validations remembered. A client
/// sends the same token on every request until it expires, and a full validation (parse, HMAC or RSA, claims) costs
/// far more than the decision it guards. A token string that validated against these exact parameters is accepted
/// again, without re-validation, while it is unexpired (its <c>exp</c> plus the configured clock skew) and for at
/// most <see cref="MaxAge"/> after it was validated (so a key removed from an authority's key set stops being
/// trusted soon). Failures are never remembered: every forged, expired or altered token is validated in full.
/// </summary>
/// <remarks>
/// JwtBearer hands every request its own copy of the configured <see cref="TokenValidationParameters"/> (it clones
/// them, then adds an authority's configuration manager or keys), so "these exact parameters" means the same trust,
/// not the same object (<see cref="SameTrust"/>): the same keys, key sources and validators (by reference), and equal
/// issuers, audiences, algorithms, token types, skew, requirements and claim types. Anything else (new keys after a
/// configuration reload or a key-set refresh) is validated in full again.
/// </remarks>
/// <remarks>
/// Each hit gets its own copy of the claims identity (nothing a request does to its principal reaches another).
/// The cache is bounded (<see cref="Capacity"/> tokens, emptied when full); a token is remembered under its full text.
/// </remarks>
public sealed class ValidatedTokenCache(TimeProvider clock) : TokenHandler
{
    public const int Capacity = 10_000;
    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(5);

    private readonly JsonWebTokenHandler _inner = new() { MapInboundClaims = false };
    private readonly ConcurrentDictionary<string, Validated> _validated = new(StringComparer.Ordinal);

    private sealed record Validated(TokenValidationParameters Parameters, TokenValidationResult Result, DateTimeOffset Until);

    /// <summary>Full validations done (cache misses), for tests.</summary>
    public long Validations => Interlocked.Read(ref _validations);

    private long _validations;

    public override async Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        var now = clock.GetUtcNow();
        if (_validated.TryGetValue(token, out var known) && SameTrust(known.Parameters, validationParameters))
        {
            if (now < known.Until)
            {
                return Copy(known.Result);
            }
            _validated.TryRemove(token, out _);
        }
        Interlocked.Increment(ref _validations);
        var result = await _inner.ValidateTokenAsync(token, validationParameters).ConfigureAwait(false);
        if (result.IsValid && result.SecurityToken is { ValidTo: var validTo } && validTo > DateTime.MinValue)
        {
            var expires = new DateTimeOffset(DateTime.SpecifyKind(validTo, DateTimeKind.Utc)) + validationParameters.ClockSkew;
            var until = expires < now + MaxAge ? expires : now + MaxAge;
            if (_validated.Count >= Capacity)
            {
                _validated.Clear();
            }
            _validated[token] = new Validated(validationParameters, result, until);
            return Copy(result);
        }
        return result;
    }

    /// <summary>Whether a validation against <paramref name="b"/> is the one already done against <paramref name="a"/>:
    /// every setting JwtBearer or our configuration sets, and every hook a clone shares, compared.</summary>
    internal static bool SameTrust(TokenValidationParameters a, TokenValidationParameters b) =>
        ReferenceEquals(a, b)
        || (ReferenceEquals(a.IssuerSigningKey, b.IssuerSigningKey)
            && SameItems(a.IssuerSigningKeys, b.IssuerSigningKeys, ReferenceEquals)
            && ReferenceEquals(a.ConfigurationManager, b.ConfigurationManager)
            && ReferenceEquals(a.IssuerSigningKeyResolver, b.IssuerSigningKeyResolver)
            && ReferenceEquals(a.IssuerSigningKeyValidator, b.IssuerSigningKeyValidator)
            && ReferenceEquals(a.IssuerValidator, b.IssuerValidator)
            && ReferenceEquals(a.AudienceValidator, b.AudienceValidator)
            && ReferenceEquals(a.LifetimeValidator, b.LifetimeValidator)
            && ReferenceEquals(a.SignatureValidator, b.SignatureValidator)
            && ReferenceEquals(a.AlgorithmValidator, b.AlgorithmValidator)
            && ReferenceEquals(a.TypeValidator, b.TypeValidator)
            && ReferenceEquals(a.TokenReader, b.TokenReader)
            && a.ValidIssuer == b.ValidIssuer
            && SameItems(a.ValidIssuers, b.ValidIssuers, string.Equals)
            && a.ValidAudience == b.ValidAudience
            && SameItems(a.ValidAudiences, b.ValidAudiences, string.Equals)
            && SameItems(a.ValidAlgorithms, b.ValidAlgorithms, string.Equals)
            && SameItems(a.ValidTypes, b.ValidTypes, string.Equals)
            && a.ClockSkew == b.ClockSkew
            && a.ValidateIssuer == b.ValidateIssuer
            && a.ValidateAudience == b.ValidateAudience
            && a.ValidateLifetime == b.ValidateLifetime
            && a.ValidateIssuerSigningKey == b.ValidateIssuerSigningKey
            && a.RequireSignedTokens == b.RequireSignedTokens
            && a.RequireExpirationTime == b.RequireExpirationTime
            && a.RequireAudience == b.RequireAudience
            && a.TryAllIssuerSigningKeys == b.TryAllIssuerSigningKeys
            && a.NameClaimType == b.NameClaimType
            && a.RoleClaimType == b.RoleClaimType
            && a.AuthenticationType == b.AuthenticationType);

    private static bool SameItems<T>(IEnumerable<T>? a, IEnumerable<T>? b, Func<T?, T?, bool> same) =>
        ReferenceEquals(a, b) || (a is not null && b is not null && a.SequenceEqual(b, EqualityComparer<T>.Create(same)));

    private static TokenValidationResult Copy(TokenValidationResult result) => new()
    {
        IsValid = true,
        ClaimsIdentity = result.ClaimsIdentity.Clone(),
        SecurityToken = result.SecurityToken,
        Issuer = result.Issuer,
        TokenType = result.TokenType,
        TokenContext = result.TokenContext,
    };

    public override SecurityToken ReadToken(string token) => _inner.ReadToken(token);
}
