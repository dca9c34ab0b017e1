using System.Text;
using ConsentService.Api.Security;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace ConsentService.Api.Tests.Security;

/// <summary>The bearer token handler remembers successful validations only, per token and parameters, never past the
/// token's expiry (plus skew) nor longer than five minutes, and gives each request its own identity.</summary>
public sealed class ValidatedTokenCacheTests
{
    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static TokenValidationParameters Parameters(int skewSeconds = 30) => new()
    {
        ValidateIssuer = true,
        ValidateAudience = true,
        ValidateLifetime = true,
        ValidateIssuerSigningKey = true,
        RequireSignedTokens = true,
        RequireExpirationTime = true,
        ValidIssuer = SecureServiceFactory.Issuer,
        ValidAudience = SecureServiceFactory.Audience,
        IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(SecureServiceFactory.SigningKey)),
        ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
        ClockSkew = TimeSpan.FromSeconds(skewSeconds),
    };

    [Fact]
    public async Task A_valid_token_is_validated_once_and_each_hit_gets_its_own_identity()
    {
        var cache = new ValidatedTokenCache(TimeProvider.System);
        var parameters = Parameters();
        var token = TestToken.System("system/Consent.rs").Build();

        var first = await cache.ValidateTokenAsync(token, parameters);
        var second = await cache.ValidateTokenAsync(token, parameters);

        Assert.True(first.IsValid);
        Assert.True(second.IsValid);
        Assert.Equal(1, cache.Validations);
        Assert.NotSame(first.ClaimsIdentity, second.ClaimsIdentity);
        Assert.Equal("system/Consent.rs", second.ClaimsIdentity.FindFirst("scope")?.Value);
        // Other parameters (configuration reloaded): validated again.
        Assert.True((await cache.ValidateTokenAsync(token, Parameters())).IsValid);
        Assert.Equal(2, cache.Validations);
    }

    [Fact]
    public async Task Failures_are_never_remembered()
    {
        var cache = new ValidatedTokenCache(TimeProvider.System);
        var parameters = Parameters();
        var forged = (TestToken.System("system/Consent.rs") with { Key = "another-signing-key-of-at-least-32-bytes-XYZ" }).Build();
        for (var i = 0; i < 3; i++)
        {
            Assert.False((await cache.ValidateTokenAsync(forged, parameters)).IsValid);
        }
        Assert.Equal(3, cache.Validations);
    }

    [Fact]
    public async Task A_remembered_token_is_validated_again_after_five_minutes()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var cache = new ValidatedTokenCache(clock);
        var parameters = Parameters();
        var token = (TestToken.System("system/Consent.rs") with { Expires = DateTimeOffset.UtcNow.AddHours(1) }).Build();
        Assert.True((await cache.ValidateTokenAsync(token, parameters)).IsValid);
        clock.Now += TimeSpan.FromMinutes(4);
        Assert.True((await cache.ValidateTokenAsync(token, parameters)).IsValid);
        Assert.Equal(1, cache.Validations);
        clock.Now += TimeSpan.FromMinutes(2);
        Assert.True((await cache.ValidateTokenAsync(token, parameters)).IsValid);
        Assert.Equal(2, cache.Validations);
    }

    [Fact]
    public async Task A_remembered_token_is_refused_once_it_has_expired()
    {
        var cache = new ValidatedTokenCache(TimeProvider.System);
        var parameters = Parameters(skewSeconds: 0);
        var token = (TestToken.System("system/Consent.rs") with { Expires = DateTimeOffset.UtcNow.AddSeconds(2) }).Build();
        Assert.True((await cache.ValidateTokenAsync(token, parameters)).IsValid);
        await Task.Delay(TimeSpan.FromSeconds(3));
        var late = await cache.ValidateTokenAsync(token, parameters);
        Assert.False(late.IsValid);
        Assert.IsType<SecurityTokenExpiredException>(late.Exception);
    }
}

/// <summary>Through the real pipeline: JwtBearer hands the handler a fresh copy of its parameters on every request, and
/// a token is still validated in full only once (the cache compares what the parameters trust, not the object).</summary>
public sealed class ValidatedTokenCachePipelineTests(SecureServiceFactory factory) : SecurityTestBase(factory), IClassFixture<SecureServiceFactory>
{
    [Fact]
    public async Task A_token_sent_on_several_requests_is_validated_once()
    {
        var cache = Factory.Services.GetRequiredService<ValidatedTokenCache>();
        // A token no other test sends: its own subject.
        var token = (TestToken.Vendor() with { Subject = "cache-" + Guid.NewGuid().ToString("N") }).Build();
        var (_, uid, _, _) = await SeedPatientAsync();
        var before = cache.Validations;
        for (var i = 0; i < 3; i++)
        {
            var answer = await DecideAsync(token, new { study = uid, actor = Vendor });
            Assert.Equal(System.Net.HttpStatusCode.OK, answer.Status);
        }
        Assert.Equal(before + 1, cache.Validations);
    }

    [Fact]
    public void A_copy_of_the_parameters_is_the_same_trust_and_another_key_issuer_or_audience_is_not()
    {
        var configured = Factory.Services.GetRequiredService<IOptionsMonitor<JwtBearerOptions>>()
            .Get(JwtBearerDefaults.AuthenticationScheme).TokenValidationParameters;
        Assert.True(ValidatedTokenCache.SameTrust(configured, configured.Clone()));

        var otherKey = configured.Clone();
        otherKey.IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(SecureServiceFactory.SigningKey));
        var extraKey = configured.Clone();
        extraKey.IssuerSigningKeys = [new SymmetricSecurityKey(Encoding.UTF8.GetBytes("another-signing-key-of-at-least-32-bytes-XYZ"))];
        var otherIssuer = configured.Clone();
        otherIssuer.ValidIssuers = ["https://evil.example/realms/hospital"];
        var otherAudience = configured.Clone();
        otherAudience.ValidAudience = "another-service";
        var otherAlgorithms = configured.Clone();
        otherAlgorithms.ValidAlgorithms = [SecurityAlgorithms.HmacSha256, SecurityAlgorithms.HmacSha512];
        var longerSkew = configured.Clone();
        longerSkew.ClockSkew += TimeSpan.FromMinutes(1);
        var noLifetime = configured.Clone();
        noLifetime.ValidateLifetime = false;
        var ownLifetime = configured.Clone();
        ownLifetime.LifetimeValidator = (_, _, _, _) => true;
        foreach (var other in new[] { otherKey, extraKey, otherIssuer, otherAudience, otherAlgorithms, longerSkew, noLifetime, ownLifetime })
        {
            Assert.False(ValidatedTokenCache.SameTrust(configured, other));
        }
    }
}

