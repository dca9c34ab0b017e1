using System.Net;
using System.Text;
using System.Text.Json;

namespace ConsentService.Api.Tests.Security;

/// <summary>Shared helpers: seeding with an integration token, sending with any token, and asserting refusals
/// (status, the error format of the surface, WWW-Authenticate on 401).</summary>
public abstract class SecurityTestBase(SecureServiceFactory factory)
{
    protected SecureServiceFactory Factory { get; } = factory;

    protected const string Vendor = "Organization/acme-ai";

    public sealed record Answer(HttpStatusCode Status, string Body, HttpResponseMessage Response)
    {
        public JsonElement Json => JsonDocument.Parse(Body).RootElement;
    }

    protected async Task<Answer> SendAsync(object? token, HttpMethod method, string url, string? body = null, string contentType = "application/fhir+json")
    {
        using var http = token switch
        {
            null => Factory.Client((string?)null),
            string raw => Factory.Client(raw),
            TestToken t => Factory.Client(t),
            _ => throw new ArgumentException("token"),
        };
        using var request = new HttpRequestMessage(method, url);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        }
        var response = await http.SendAsync(request);
        return new Answer(response.StatusCode, await response.Content.ReadAsStringAsync(), response);
    }

    protected Task<Answer> GetAsync(object? token, string url) => SendAsync(token, HttpMethod.Get, url);

    protected Task<Answer> DecideAsync(object? token, object body, string path = "/api/v1/decisions") =>
        SendAsync(token, HttpMethod.Post, path, JsonSerializer.Serialize(body), "application/json");

    /// <summary>A patient with one consent (permit for acme-ai) and one CT head study; returns their ids.</summary>
    protected async Task<(string Patient, string Uid, string StudyId, string ConsentId)> SeedPatientAsync(string? patient = null)
    {
        var client = Factory.AdminFhirClient();
        patient ??= TestData.NewId();
        var uid = TestData.NewUid();
        var study = await client.CreateAsync(TestData.Study(patient, uid));
        var consent = await client.CreateAsync(TestData.Consent(patient));
        return (patient, uid, study!.Id!, consent!.Id!);
    }

    /// <summary>All versions in the store (both writable types).</summary>
    protected async Task<int> StoredAsync() =>
        await Factory.StoredVersionsAsync("Consent") + await Factory.StoredVersionsAsync("ImagingStudy");

    /// <summary>A refusal on /fhir is an OperationOutcome; elsewhere problem details. 401 carries a Bearer challenge.</summary>
    protected static void AssertRefused(Answer answer, HttpStatusCode expected, string url)
    {
        Assert.Equal(expected, answer.Status);
        if (url.StartsWith("/fhir", StringComparison.Ordinal))
        {
            Assert.Equal("application/fhir+json", answer.Response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("OperationOutcome", answer.Json.GetProperty("resourceType").GetString());
            var code = answer.Json.GetProperty("issue")[0].GetProperty("code").GetString();
            Assert.Equal(expected switch { HttpStatusCode.Unauthorized => "login", HttpStatusCode.Forbidden => "forbidden", HttpStatusCode.NotFound => "not-found", _ => code }, code);
        }
        else
        {
            Assert.Equal("application/problem+json", answer.Response.Content.Headers.ContentType?.MediaType);
            Assert.Equal((int)expected, answer.Json.GetProperty("status").GetInt32());
        }
        if (expected == HttpStatusCode.Unauthorized)
        {
            Assert.StartsWith("Bearer", answer.Response.Headers.WwwAuthenticate.ToString());
        }
    }

    protected static string ConsentJson(string patient) => TestData.Json(TestData.Consent(patient));

    protected static string StudyJson(string patient, string uid) => TestData.Json(TestData.Study(patient, uid));

    protected static IEnumerable<string> EntryIds(Answer bundle) =>
        bundle.Json.TryGetProperty("entry", out var entries)
            ? entries.EnumerateArray().Select(e => e.GetProperty("resource").GetProperty("id").GetString()!)
            : [];
}
