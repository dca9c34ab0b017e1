using System.Security.Claims;
using System.Text.Encodings.Web;
using ConsentService.Application.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace ConsentService.Api.Security;

/// <summary>
/// Bearer tokens: validated by JwtBearer against <see cref="AuthOptions"/> (signature with an allow-listed
/// algorithm, issuer, audience, exp and nbf with a small skew; unsigned and <c>alg: none</c> tokens never pass).
/// The default scheme forwards to it, or, in Development without any Auth setting, to <see cref="OpenAccessHandler"/>.
/// Successful validations are remembered per token (<see cref="ValidatedTokenCache"/>).
/// </summary>
public static class BearerAuthentication
{
    public const string Scheme = "ConsentService";
    public const string OpenScheme = "DevelopmentOpenAccess";

    /// <summary>Asymmetric algorithms accepted from an OpenID Connect authority's keys.</summary>
    private static readonly string[] AuthorityAlgorithms =
    [
        SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
        SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSsaPssSha384, SecurityAlgorithms.RsaSsaPssSha512,
        SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.EcdsaSha512,
    ];

    public static IServiceCollection AddBearerAuthentication(this IServiceCollection services)
    {
        services.AddAuthentication(Scheme)
            .AddPolicyScheme(Scheme, "Bearer token (or Development open access)", options =>
                options.ForwardDefaultSelector = context => context.RequestServices.GetRequiredService<AuthMode>().IsOpen
                    ? OpenScheme
                    : JwtBearerDefaults.AuthenticationScheme)
            .AddJwtBearer()
            .AddScheme<AuthenticationSchemeOptions, OpenAccessHandler>(OpenScheme, displayName: null, _ => { });
        services.AddSingleton<ValidatedTokenCache>();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme).Configure<IOptions<AuthOptions>, ValidatedTokenCache>(Configure);
        return services;
    }

    private static void Configure(JwtBearerOptions jwt, IOptions<AuthOptions> options, ValidatedTokenCache tokens)
    {
        var auth = options.Value;
        jwt.MapInboundClaims = false;
        jwt.TokenHandlers.Clear();
        jwt.TokenHandlers.Add(tokens); // JsonWebTokenHandler, its successes remembered until exp (at most five minutes)
        jwt.IncludeErrorDetails = false;
        var parameters = new TokenValidationParameters
        {
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidateLifetime = true,
            ValidateIssuerSigningKey = true,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidAudience = auth.Audience,
            ClockSkew = TimeSpan.FromSeconds(auth.ClockSkewSeconds),
            NameClaimType = RequestCallers.SubjectClaim,
        };
        if (!string.IsNullOrWhiteSpace(auth.Issuer))
        {
            parameters.ValidIssuer = auth.Issuer;
        }
        if (!string.IsNullOrWhiteSpace(auth.SigningKey))
        {
            parameters.IssuerSigningKey = new SymmetricSecurityKey(auth.SigningKeyBytes());
            parameters.ValidAlgorithms = [SecurityAlgorithms.HmacSha256];
        }
        else if (!string.IsNullOrWhiteSpace(auth.Authority))
        {
            jwt.Authority = auth.Authority;
            jwt.RequireHttpsMetadata = auth.RequireHttpsMetadata;
            parameters.ValidAlgorithms = AuthorityAlgorithms;
        }
        jwt.TokenValidationParameters = parameters;
        jwt.Events = new JwtBearerEvents { OnChallenge = ChallengeAsync };
    }

    private static async System.Threading.Tasks.Task ChallengeAsync(JwtBearerChallengeContext context)
    {
        context.HandleResponse();
        var failure = context.AuthenticateFailure;
        var reason = failure switch
        {
            null => "A bearer token is required (Authorization: Bearer <token>).",
            SecurityTokenExpiredException => "The token has expired.",
            SecurityTokenNotYetValidException => "The token is not yet valid (nbf).",
            SecurityTokenInvalidIssuerException => "The token's issuer is not trusted.",
            SecurityTokenInvalidAudienceException => "The token is not meant for this service (aud).",
            SecurityTokenInvalidAlgorithmException => "The token's signing algorithm is not accepted.",
            SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "The token's signature is invalid.",
            SecurityTokenNoExpirationException => "The token has no expiry (exp).",
            _ => "The token is invalid.",
        };
        await AccessRefusals.WriteAsync(context.HttpContext, StatusCodes.Status401Unauthorized, reason, failure is null ? null : "invalid_token");
    }
}

/// <summary>Development without any Auth setting: every request is the <see cref="RequestCaller.DevelopmentOpenAccess"/>
/// caller. Never selected in another environment (the service does not start there without Auth settings).</summary>
public sealed class OpenAccessHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override System.Threading.Tasks.Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var open = RequestCaller.DevelopmentOpenAccess;
        var claims = new List<Claim>
        {
            new(RequestCallers.ClientIdClaim, open.ClientId!),
            new(RequestCallers.ScopeClaim, string.Join(' ', open.Scopes)),
        };
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, BearerAuthentication.OpenScheme));
        return System.Threading.Tasks.Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, BearerAuthentication.OpenScheme)));
    }
}
