using System.Net;
using System.Text;

namespace ConsentService.Api.Tests.Security;

/// <summary>Production hardening: body and nesting limits (4xx, never 500), security headers, HSTS, CORS off by
/// default, Swagger UI off, SMART discovery.</summary>
public sealed class HardeningTests(SecureServiceFactory factory) : SecurityTestBase(factory), IClassFixture<SecureServiceFactory>
{
    [Fact]
    public async System.Threading.Tasks.Task Oversized_body_is_413_and_nothing_is_stored()
    {
        var before = await StoredAsync();
        var consent = TestData.Consent(TestData.NewId());
        consent.Identifier = [new Hl7.Fhir.Model.Identifier("urn:x", new string('x', 11 * 1024 * 1024))];
        var answer = await SendAsync(TestToken.Admin, HttpMethod.Post, "/fhir/Consent", TestData.Json(consent));
        AssertRefused(answer, HttpStatusCode.RequestEntityTooLarge, "/fhir");
        var decision = await SendAsync(TestToken.Admin, HttpMethod.Post, "/api/v1/decisions",
            "{\"study\":\"" + new string('1', 11 * 1024 * 1024) + "\"}", "application/json");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, decision.Status);
        Assert.Equal(before, await StoredAsync());
    }

    [Theory]
    [InlineData(65)]
    [InlineData(5000)]
    public async System.Threading.Tasks.Task Deeply_nested_fhir_json_is_a_4xx_not_a_500(int depth)
    {
        var before = await StoredAsync();
        var nested = new StringBuilder("{\"resourceType\":\"Consent\",\"status\":\"active\",\"extension\":[");
        for (var i = 0; i < depth; i++) nested.Append("{\"url\":\"urn:x\",\"extension\":[");
        for (var i = 0; i < depth; i++) nested.Append("]}");
        nested.Append("]}");
        var answer = await SendAsync(TestToken.Admin, HttpMethod.Post, "/fhir/Consent", nested.ToString());
        Assert.True(answer.Status is HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge or HttpStatusCode.UnprocessableEntity, $"{answer.Status}");
        Assert.Equal("OperationOutcome", answer.Json.GetProperty("resourceType").GetString());
        Assert.Equal(before, await StoredAsync());
    }

    [Theory]
    [InlineData(65)]
    [InlineData(50000)]
    public async System.Threading.Tasks.Task Deeply_nested_fhir_xml_is_400_not_500(int depth)
    {
        var before = await StoredAsync();
        var nested = new StringBuilder("<Consent xmlns=\"http://hl7.org/fhir\"><status value=\"active\"/>");
        for (var i = 0; i < depth; i++) nested.Append("<extension url=\"urn:x\">");
        for (var i = 0; i < depth; i++) nested.Append("</extension>");
        nested.Append("</Consent>");
        var answer = await SendAsync(TestToken.Admin, HttpMethod.Post, "/fhir/Consent", nested.ToString(), "application/fhir+xml");
        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Contains("OperationOutcome", answer.Body);
        Assert.Equal(before, await StoredAsync());
    }

    [Theory]
    [InlineData(17)]
    [InlineData(5000)]
    public async System.Threading.Tasks.Task Deeply_nested_decision_json_is_400_not_500(int depth)
    {
        var audited = Factory.AuditRecords;
        var body = "{\"study\":\"1.2.3\",\"actor\":\"Organization/acme-ai\",\"purpose\":" + new string('[', depth) + new string(']', depth) + "}";
        var answer = await SendAsync(TestToken.Admin, HttpMethod.Post, "/api/v1/decisions", body, "application/json");
        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Equal(400, answer.Json.GetProperty("status").GetInt32());
        Assert.Equal(audited, Factory.AuditRecords);
    }

    [Fact]
    public async System.Threading.Tasks.Task Headers_hsts_no_server_and_nosniff()
    {
        using var http = Factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://consent.hospital.example/") });
        var response = await http.GetAsync("/fhir/metadata");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("max-age=31536000", response.Headers.GetValues("Strict-Transport-Security").Single());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.False(response.Headers.Contains("Server"));
    }

    [Fact]
    public async System.Threading.Tasks.Task Cors_is_off_without_an_allow_list_and_swagger_ui_is_off()
    {
        using var http = Factory.CreateClient();
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/fhir/Consent");
        preflight.Headers.Add("Origin", "https://evil.example");
        preflight.Headers.Add("Access-Control-Request-Method", "GET");
        var answer = await http.SendAsync(preflight);
        Assert.False(answer.Headers.Contains("Access-Control-Allow-Origin"));
        using var get = new HttpRequestMessage(HttpMethod.Get, "/fhir/metadata");
        get.Headers.Add("Origin", "https://evil.example");
        Assert.False((await http.SendAsync(get)).Headers.Contains("Access-Control-Allow-Origin"));
        var ui = await http.GetAsync("/swagger/index.html");
        Assert.NotEqual(HttpStatusCode.OK, ui.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/swagger/v1/swagger.json")).StatusCode);
    }

    [Fact]
    public async System.Threading.Tasks.Task Smart_configuration_and_capability_security_are_published()
    {
        var smart = await GetAsync(null, "/.well-known/smart-configuration");
        Assert.Equal(HttpStatusCode.OK, smart.Status);
        Assert.Equal(SecureServiceFactory.Issuer, smart.Json.GetProperty("issuer").GetString());
        var scopes = smart.Json.GetProperty("scopes_supported").EnumerateArray().Select(s => s.GetString()).ToList();
        Assert.Contains("system/Consent.cruds", scopes);
        Assert.Contains("patient/Consent.rs", scopes);
        Assert.Contains("ai-training.decide", scopes);
        Assert.Contains("permission-v2", smart.Json.GetProperty("capabilities").EnumerateArray().Select(s => s.GetString()));
        Assert.NotEmpty(smart.Json.GetProperty("token_endpoint_auth_methods_supported").EnumerateArray());

        var metadata = await GetAsync(null, "/fhir/metadata");
        var security = metadata.Json.GetProperty("rest")[0].GetProperty("security");
        Assert.False(security.GetProperty("cors").GetBoolean());
        Assert.Equal("SMART-on-FHIR", security.GetProperty("service")[0].GetProperty("coding")[0].GetProperty("code").GetString());
    }

    public sealed class CorsFactory : SecureServiceFactory
    {
        protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
        {
            ["Cors:AllowedOrigins:0"] = "https://portal.hospital.example",
            ["Auth:TokenEndpoint"] = "https://auth.test.example/realms/hospital/protocol/openid-connect/token",
        };
    }

    [Fact]
    public async System.Threading.Tasks.Task Configured_origins_are_allowed_and_announced()
    {
        using var cors = new CorsFactory();
        using var http = cors.CreateClient();
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/fhir/Consent");
        preflight.Headers.Add("Origin", "https://portal.hospital.example");
        preflight.Headers.Add("Access-Control-Request-Method", "GET");
        preflight.Headers.Add("Access-Control-Request-Headers", "authorization");
        var answer = await http.SendAsync(preflight);
        Assert.Equal("https://portal.hospital.example", answer.Headers.GetValues("Access-Control-Allow-Origin").Single());
        using var evil = new HttpRequestMessage(HttpMethod.Options, "/fhir/Consent");
        evil.Headers.Add("Origin", "https://evil.example");
        evil.Headers.Add("Access-Control-Request-Method", "GET");
        Assert.False((await http.SendAsync(evil)).Headers.Contains("Access-Control-Allow-Origin"));
        var metadata = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync("/fhir/metadata")).RootElement;
        var security = metadata.GetProperty("rest")[0].GetProperty("security");
        Assert.True(security.GetProperty("cors").GetBoolean());
        var token = security.GetProperty("extension")[0].GetProperty("extension")[0];
        Assert.Equal("token", token.GetProperty("url").GetString());
        Assert.EndsWith("/token", token.GetProperty("valueUri").GetString());
    }
}
