using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace ConsentService.Api.Tests.Security;

/// <summary>A configuration under which tokens could not be trusted stops the process at start with a message
/// saying what to set; Development without any Auth setting runs open (the existing suites run that way).</summary>
public sealed class StartupTests
{
    /// <summary>Composes and starts the real service (on a test server, no port) and returns the start-up
    /// validation message. Not through WebApplicationFactory: its deferred host can report a failed start as a
    /// disposed provider instead of the validation error.</summary>
    private static string StartupFailure(string environment, Dictionary<string, string> settings)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = environment });
        builder.WebHost.UseTestServer();
        var data = Path.Combine(Path.GetTempPath(), "consentservice-tests", Guid.NewGuid().ToString("N"));
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
        {
            ["Storage:Sqlite:Path"] = Path.Combine(data, "consents.db"),
        });
        builder.AddConsentService();
        using var app = builder.Build();
        app.UseConsentService();
        var validation = Assert.Throws<OptionsValidationException>(() => app.StartAsync().GetAwaiter().GetResult());
        return validation.Message;
    }

    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    public void Without_auth_settings_outside_development_the_service_refuses_to_start(string environment)
    {
        var message = StartupFailure(environment, []);
        Assert.Contains("Authentication is not configured", message);
        Assert.Contains("Auth:Authority", message);
        Assert.Contains("Auth:SigningKey", message);
    }

    public static TheoryData<string, Dictionary<string, string>, string> BadSettings() => new()
    {
        { "Production", new() { ["Auth:SigningKey"] = "too-short", ["Auth:Issuer"] = "i", ["Auth:Audience"] = "a" }, "at least 32 bytes" },
        { "Production", new() { ["Auth:SigningKey"] = new string('k', 40), ["Auth:Audience"] = "a" }, "Auth:Issuer is required" },
        { "Production", new() { ["Auth:SigningKey"] = new string('k', 40), ["Auth:Issuer"] = "i" }, "Auth:Audience is required" },
        { "Production", new() { ["Auth:SigningKey"] = new string('k', 40), ["Auth:Authority"] = "https://a.example", ["Auth:Issuer"] = "i", ["Auth:Audience"] = "a" }, "not both" },
        { "Production", new() { ["Auth:Authority"] = "http://insecure.example", ["Auth:Audience"] = "a" }, "https" },
        { "Development", new() { ["Auth:Audience"] = "consent-service" }, "authentication is enforced" },
        { "Production", new() { ["Auth:SigningKey"] = new string('k', 40), ["Auth:Issuer"] = "i", ["Auth:Audience"] = "a", ["RateLimiting:PermitsPerSecond"] = "0" }, "RateLimiting:PermitsPerSecond" },
        { "Production", new() { ["Auth:SigningKey"] = new string('k', 40), ["Auth:Issuer"] = "i", ["Auth:Audience"] = "a", ["Cors:AllowedOrigins:0"] = "*" }, "Cors:AllowedOrigins" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public void Unusable_security_settings_stop_the_service_with_a_clear_message(string environment, Dictionary<string, string> settings, string expected) =>
        Assert.Contains(expected, StartupFailure(environment, settings));

    [Fact]
    public async System.Threading.Tasks.Task The_real_process_exits_non_zero_in_production_without_auth()
    {
        var assembly = typeof(Program).Assembly.Location;
        var data = Path.Combine(Path.GetTempPath(), "consentservice-tests", Guid.NewGuid().ToString("N"));
        var start = new ProcessStartInfo("dotnet", ["exec", assembly])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(assembly)!,
        };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        start.Environment["Storage__Sqlite__Path"] = Path.Combine(data, "consents.db");
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("Auth__", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(key);
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("The service kept running in Production without Auth settings.");
        }
        Assert.NotEqual(0, process.ExitCode);
        Assert.Contains("Authentication is not configured", await output + await error);
    }
}
