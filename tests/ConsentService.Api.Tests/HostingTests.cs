using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Options;

namespace ConsentService.Api.Tests;

public sealed class HostingTests(ConsentServiceFactory factory) : IClassFixture<ConsentServiceFactory>
{
    [Fact]
    public async System.Threading.Tasks.Task Health_endpoints_answer_and_ready_reports_the_store()
    {
        using var http = factory.CreateClient();
        var live = await http.GetAsync("/healthz/live");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        var ready = await http.GetAsync("/healthz/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var body = JsonDocument.Parse(await ready.Content.ReadAsStringAsync());
        Assert.Equal("Healthy", body.RootElement.GetProperty("checks").GetProperty("store").GetProperty("status").GetString());
        Assert.Equal("Healthy", body.RootElement.GetProperty("checks").GetProperty("audit").GetProperty("status").GetString());
    }

    [Fact]
    public async System.Threading.Tasks.Task Database_file_is_created_on_first_start()
    {
        using var http = factory.CreateClient();
        await http.GetAsync("/healthz/ready");
        Assert.True(File.Exists(factory.DatabasePath));
    }

    [Fact]
    public async System.Threading.Tasks.Task Security_headers_and_no_server_header()
    {
        using var http = factory.CreateClient();
        var response = await http.GetAsync("/fhir/metadata");
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.False(response.Headers.Contains("Server"));
    }

    [Theory]
    [InlineData("Postgres", null, null, "not a known store")]
    [InlineData("Cosmos", null, "consents", "Storage:Cosmos:ConnectionString")]
    [InlineData("Cosmos", "AccountEndpoint=https://127.0.0.1:1/;AccountKey=a;", null, "Storage:Cosmos:Database")]
    public async System.Threading.Tasks.Task Unusable_storage_configuration_stops_the_service_with_a_clear_message(string provider, string? connection, string? database, string message)
    {
        // The service composed as Program composes it and started directly: through WebApplicationFactory a failed
        // start sometimes surfaced as an ObjectDisposedException of the factory's own host instead of the refusal.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:Provider"] = provider,
            ["Storage:Sqlite:Path"] = factory.DatabasePath,
            ["Storage:Cosmos:ConnectionString"] = connection ?? "",
            ["Storage:Cosmos:Database"] = database ?? "",
        });
        builder.AddConsentService();
        await using var app = builder.Build();
        app.UseConsentService();
        var error = await Assert.ThrowsAnyAsync<Exception>(() => app.StartAsync());
        var validation = Flatten(error).OfType<OptionsValidationException>().FirstOrDefault();
        Assert.True(validation is not null, error.ToString());
        Assert.Contains(message, validation!.Message);
        Assert.Contains("Storage:Provider", validation.Message);
    }

    private static IEnumerable<Exception> Flatten(Exception e) =>
        new[] { e }.Concat(e is AggregateException a ? a.InnerExceptions.SelectMany(Flatten) : e.InnerException is { } i ? Flatten(i) : []);
}
