using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace ConsentService.Api.Tests.Security;

/// <summary>
/// <c>Auth:Authority</c>: keys come from the authority's OpenID Connect discovery document and JWKS (served here by
/// an in-memory authority on JwtBearer's back channel). An RS256 token signed by the authority's key passes; a
/// token signed with another RSA key, or an HS256 token made with the public key as its secret (key confusion),
/// does not. SMART discovery publishes the authority's endpoints.
/// </summary>
public sealed class AuthorityTests(AuthorityTests.AuthorityFactory factory) : IClassFixture<AuthorityTests.AuthorityFactory>
{
    public const string Authority = "https://idp.hospital.example/realms/main";

    public sealed class AuthorityFactory : ConsentServiceFactory
    {
        public RSA Key { get; } = RSA.Create(2048);

        protected override string Environment => "Production";

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Auth:Authority", Authority);
            builder.UseSetting("Auth:Audience", "consent-service");
            builder.ConfigureTestServices(services => services.Configure<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme,
                jwt => jwt.BackchannelHttpHandler = new InMemoryAuthority(Key)));
        }
    }

    private sealed class InMemoryAuthority(RSA key) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var path = request.RequestUri!.AbsolutePath;
            JsonNode body = path.EndsWith("/.well-known/openid-configuration", StringComparison.Ordinal)
                ? new JsonObject
                {
                    ["issuer"] = Authority,
                    ["jwks_uri"] = Authority + "/protocol/openid-connect/certs",
                    ["token_endpoint"] = Authority + "/protocol/openid-connect/token",
                    ["authorization_endpoint"] = Authority + "/protocol/openid-connect/auth",
                    ["token_endpoint_auth_methods_supported"] = new JsonArray("private_key_jwt"),
                }
                : new JsonObject { ["keys"] = new JsonArray(Jwk(key)) };
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
            });
        }

        private static JsonObject Jwk(RSA rsa)
        {
            var parameters = rsa.ExportParameters(false);
            return new JsonObject { ["kty"] = "RSA", ["use"] = "sig", ["kid"] = "k1", ["alg"] = "RS256", ["n"] = B64(parameters.Modulus!), ["e"] = B64(parameters.Exponent!) };
        }
    }

    private static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string Token(string alg, Func<byte[], byte[]> sign, string scope = "system/Consent.rs")
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = new JsonObject { ["alg"] = alg, ["typ"] = "JWT", ["kid"] = "k1" };
        var payload = new JsonObject
        {
            ["iss"] = Authority, ["aud"] = "consent-service", ["nbf"] = now - 60, ["exp"] = now + 600, ["client_id"] = "ehr", ["scope"] = scope,
        };
        var input = $"{B64(Encoding.UTF8.GetBytes(header.ToJsonString()))}.{B64(Encoding.UTF8.GetBytes(payload.ToJsonString()))}";
        return $"{input}.{B64(sign(Encoding.UTF8.GetBytes(input)))}";
    }

    private async Task<HttpStatusCode> SearchAsync(string token)
    {
        using var http = factory.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return (await http.GetAsync("/fhir/Consent?_count=1")).StatusCode;
    }

    [Fact]
    public async System.Threading.Tasks.Task A_token_signed_by_the_authoritys_key_is_accepted()
    {
        var token = Token("RS256", data => factory.Key.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        Assert.Equal(HttpStatusCode.OK, await SearchAsync(token));
    }

    [Fact]
    public async System.Threading.Tasks.Task Another_key_and_key_confusion_are_refused()
    {
        using var other = RSA.Create(2048);
        Assert.Equal(HttpStatusCode.Unauthorized,
            await SearchAsync(Token("RS256", data => other.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))));
        var publicKey = factory.Key.ExportSubjectPublicKeyInfo();
        Assert.Equal(HttpStatusCode.Unauthorized, await SearchAsync(Token("HS256", data => HMACSHA256.HashData(publicKey, data))));
        Assert.Equal(HttpStatusCode.Unauthorized, await SearchAsync(Token("none", _ => [])));
    }

    [Fact]
    public async System.Threading.Tasks.Task Smart_discovery_publishes_the_authoritys_endpoints()
    {
        using var http = factory.CreateClient();
        var smart = JsonNode.Parse(await http.GetStringAsync("/.well-known/smart-configuration"))!;
        Assert.Equal(Authority + "/protocol/openid-connect/token", (string?)smart["token_endpoint"]);
        Assert.Equal(Authority + "/protocol/openid-connect/auth", (string?)smart["authorization_endpoint"]);
        Assert.Equal(Authority, (string?)smart["issuer"]);
        Assert.Equal("private_key_jwt", (string?)smart["token_endpoint_auth_methods_supported"]![0]);
        var metadata = JsonNode.Parse(await http.GetStringAsync("/fhir/metadata"))!;
        var uris = metadata["rest"]![0]!["security"]!["extension"]![0]!;
        Assert.Equal("http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris", (string?)uris["url"]);
        Assert.Contains(uris["extension"]!.AsArray(), e => (string?)e!["url"] == "authorize");
    }
}
