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
        if (_validated.TryGetValue(token, out var known) && ReferenceEquals(known.Parameters, validationParameters))
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
