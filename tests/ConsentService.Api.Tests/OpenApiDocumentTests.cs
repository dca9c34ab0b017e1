using System.Text.Json.Nodes;

namespace ConsentService.Api.Tests;

/// <summary>The committed openapi/consent-service.json is the served document. `make openapi` regenerates it
/// (this test with UPDATE_OPENAPI=1 writes the served document to the file).</summary>
public sealed class OpenApiDocumentTests(ConsentServiceFactory factory) : IClassFixture<ConsentServiceFactory>
{
    private static string CommittedPath()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "ConsentService.sln")))
        {
            directory = directory.Parent;
        }
        return Path.Combine(directory?.FullName ?? throw new InvalidOperationException("Repository root not found."), "openapi", "consent-service.json");
    }

    [Fact]
    public async System.Threading.Tasks.Task Committed_document_equals_the_served_one()
    {
        using var http = factory.CreateClient();
        var served = JsonNode.Parse(await http.GetStringAsync("/swagger/v1/swagger.json"))!;
        var path = CommittedPath();
        if (Environment.GetEnvironmentVariable("UPDATE_OPENAPI") == "1")
        {
            await File.WriteAllTextAsync(path, served.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
        }
        Assert.True(File.Exists(path), "openapi/consent-service.json is missing: run `make openapi`.");
        var committed = JsonNode.Parse(await File.ReadAllTextAsync(path))!;
        Assert.True(JsonNode.DeepEquals(served, committed),
            "openapi/consent-service.json differs from the served document: run `make openapi` and commit the result.");
        Assert.NotNull(served["paths"]!["/fhir/Consent/{id}"]);
        Assert.NotNull(served["paths"]!["/fhir/ImagingStudy"]);
    }

    [Fact]
    public async System.Threading.Tasks.Task Swagger_ui_is_served_in_development()
    {
        using var http = factory.CreateClient();
        var ui = await http.GetAsync("/swagger/index.html");
        Assert.Equal(System.Net.HttpStatusCode.OK, ui.StatusCode);
    }
}
