using Hl7.Fhir.Rest;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace ConsentService.Api.Tests;

/// <summary>The real service in-process (the whole HTTP pipeline) on its own temporary SQLite file.</summary>
public class ConsentServiceFactory : WebApplicationFactory<Program>
{
    public string DatabasePath { get; } = Path.Combine(Path.GetTempPath(), "consentservice-tests", $"{Guid.NewGuid():N}", "consents.db");

    protected virtual string Environment => "Development";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(Environment);
        builder.UseSetting("Storage:Sqlite:Path", DatabasePath);
        // Functional tests drive one client hard (concurrent writers, exports); the per-client rate limit has its own
        // tests (Security/RateLimitTests), which set their limits over these.
        builder.UseSetting("RateLimiting:PermitsPerSecond", "1000000");
        builder.UseSetting("RateLimiting:Burst", "1000000");
    }

    /// <summary>Firely's FhirClient talking to the in-process server, as an EHR integration would.</summary>
    public FhirClient FhirClient(ResourceFormat format = ResourceFormat.Json) =>
        new(new Uri(Server.BaseAddress, "fhir/"), CreateClient(), new FhirClientSettings
        {
            PreferredFormat = format,
            VerifyFhirVersion = true,
            ReturnPreference = ReturnPreference.Representation,
        });

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            TryDelete(Path.GetDirectoryName(DatabasePath)!);
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // A pooled SQLite handle may still be closing; the OS temp folder is cleaned eventually.
        }
    }
}
