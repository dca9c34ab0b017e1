using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;

namespace ConsentService.Api.Tests;

/// <summary>
/// The decision conformance corpus (tests/conformance/cases) replayed through HTTP, as an EHR and a vendor would:
/// each case on a fresh service with the case's default policy, its consents PUT in order (so ids and version
/// numbers are kept), its study registered, then the request asked of POST /api/v1/decisions. The same files
/// run against the engine in ConsentService.Domain.Tests.
/// </summary>
public class ConformanceHttpTests
{
    private static readonly string CaseDirectory = Path.Combine(AppContext.BaseDirectory, "conformance", "cases");

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(CaseDirectory, "*.json").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileNameWithoutExtension(file));
        }
        return data;
    }

    private sealed class PolicyFactory(string policy) : ConsentServiceFactory
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Decisions:DefaultPolicy", policy);
        }
    }

    /// <summary>A fresh service for one case (SQLite here; the Cosmos subclass uses a fresh database).</summary>
    protected virtual ConsentServiceFactory CreateFactory(string policy) => new PolicyFactory(policy);

    [Theory]
    [MemberData(nameof(Cases))]
    public async System.Threading.Tasks.Task Case_holds_through_the_api(string name)
    {
        var file = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(CaseDirectory, name + ".json")))!.AsObject();
        using var factory = CreateFactory(file["defaultPolicy"]?.GetValue<string>() ?? "opt-in");
        using var http = factory.CreateClient();

        var refusedElement = file["apiRefuses"]?.GetValue<string>();
        foreach (var consent in file["consents"]!.AsArray())
        {
            var put = await http.PutAsync($"/fhir/Consent/{consent!["id"]}", new StringContent(consent.ToJsonString(), Encoding.UTF8, "application/fhir+json"));
            if (refusedElement is not null && put.StatusCode == HttpStatusCode.UnprocessableEntity)
            {
                // The engine reads such a consent safely, but the API must not store it: the refusal is the expectation.
                Assert.Contains($"\"{refusedElement}\"", await put.Content.ReadAsStringAsync());
                return;
            }
            Assert.True(put.IsSuccessStatusCode, $"{name}: PUT Consent/{consent["id"]} -> {(int)put.StatusCode} {await put.Content.ReadAsStringAsync()}");
        }
        Assert.True(refusedElement is null, $"{name}: the API was expected to refuse a consent ({refusedElement}) but stored them all.");
        await PutAsync(http, file["study"]!.AsObject(), name);

        var request = file["request"]!.AsObject().DeepClone().AsObject();
        var response = await http.PostAsync("/api/v1/decisions", new StringContent(request.ToJsonString(), Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{name}: {(int)response.StatusCode} {text}");
        var actual = JsonNode.Parse(text)!;
        var expected = file["expected"]!;
        Assert.Equal((string?)expected["decision"], (string?)actual["decision"]);
        Assert.Equal((string?)expected["basis"], (string?)actual["basis"]);
        Assert.Equal((string?)expected["consent"], (string?)actual["consent"]);
        Assert.Equal((string?)expected["provisionPath"], (string?)actual["provisionPath"]);
        Assert.Equal(
            expected["obligations"]!.AsArray().Select(o => (string)o!).ToArray(),
            actual["obligations"]!.AsArray().Select(o => (string)o!["code"]!).ToArray());
    }

    private static async System.Threading.Tasks.Task PutAsync(HttpClient http, JsonObject resource, string name)
    {
        var type = resource["resourceType"]!.GetValue<string>();
        var id = resource["id"]!.GetValue<string>();
        var response = await http.PutAsync($"/fhir/{type}/{id}", new StringContent(resource.ToJsonString(), Encoding.UTF8, "application/fhir+json"));
        Assert.True(response.IsSuccessStatusCode, $"{name}: PUT {type}/{id} -> {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}
