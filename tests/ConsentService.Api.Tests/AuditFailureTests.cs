using System.Net;
using System.Text;
using ConsentService.Application.Ports;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace ConsentService.Api.Tests;

/// <summary>Fail closed: when the audit trail cannot be written, the decision endpoints answer 503 and no permit.</summary>
public sealed class AuditFailureTests : IClassFixture<AuditFailureTests.BrokenAuditFactory>
{
    private readonly BrokenAuditFactory _factory;

    public AuditFailureTests(BrokenAuditFactory factory) => _factory = factory;

    public sealed class BrokenAuditFactory : ConsentServiceFactory
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureTestServices(services => services.AddSingleton<IAuditLog, UnwritableAuditLog>());
        }
    }

    private sealed class UnwritableAuditLog : IAuditLog
    {
        public System.Threading.Tasks.Task AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken ct) =>
            throw new IOException("disk full");

        public Task<AuditRecord?> ReadAsync(string id, CancellationToken ct) => System.Threading.Tasks.Task.FromResult<AuditRecord?>(null);

        public Task<SearchPage> SearchAsync(SearchQuery query, CancellationToken ct) => throw new IOException("disk full");

        public Task<IReadOnlyList<string>> ChainsAsync(CancellationToken ct) => throw new IOException("disk full");

        public Task<bool> IsWritableAsync(CancellationToken ct) => throw new IOException("disk full");

        public Task<IReadOnlyList<ChainedAuditRecord>> ReadChainAsync(string chain, long afterSequence, int limit, CancellationToken ct) =>
            throw new IOException("disk full");
    }

    [Fact]
    public async System.Threading.Tasks.Task Readiness_reports_the_audit_writer()
    {
        using var http = _factory.CreateClient();
        var ready = await http.GetAsync("/healthz/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        var body = System.Text.Json.JsonDocument.Parse(await ready.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("Unhealthy", body.GetProperty("checks").GetProperty("audit").GetProperty("status").GetString());
        Assert.Equal("Healthy", body.GetProperty("checks").GetProperty("store").GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz/live")).StatusCode);
    }

    [Fact]
    public async System.Threading.Tasks.Task A_consent_read_that_cannot_be_audited_is_not_answered()
    {
        var client = _factory.FhirClient();
        var consent = await client.CreateAsync(TestData.Consent(TestData.NewId()));
        using var http = _factory.CreateClient();
        var response = await http.GetAsync($"/fhir/Consent/{consent!.Id}");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("OperationOutcome", body);
        Assert.DoesNotContain("\"patient\"", body);
    }

    [Theory]
    [InlineData("/api/v1/decisions", "{{\"study\":\"{0}\",\"actor\":\"Organization/acme-ai\"}}")]
    [InlineData("/api/v1/decisions/batch", "{{\"studies\":[\"{0}\"],\"actor\":\"Organization/acme-ai\"}}")]
    [InlineData("/api/v1/decisions/cohort", "{{\"actor\":\"Organization/acme-ai\",\"filter\":{{\"modality\":[\"CT\"]}},\"purpose\":{{\"code\":\"MLTRAINING\"}},\"action\":\"use\"}}")]
    public async System.Threading.Tasks.Task No_audit_no_answer(string path, string template)
    {
        var client = _factory.FhirClient();
        var patient = TestData.NewId();
        var uid = TestData.NewUid();
        await client.CreateAsync(TestData.Study(patient, uid));
        await client.CreateAsync(TestData.Consent(patient));
        using var http = _factory.CreateClient();
        var response = await http.PostAsync(path, new StringContent(string.Format(template, uid), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("permit", body);
        Assert.DoesNotContain("disk full", body);
    }
}
