using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using OpenTelemetry.Trace;

namespace ConsentService.Api.Tests;

/// <summary>/metrics answers without a token with the request and service metrics; spans carry no PHI.</summary>
public sealed class ObservabilityTests : IClassFixture<ObservabilityTests.TracingFactory>
{
    private readonly TracingFactory _factory;

    public ObservabilityTests(TracingFactory factory) => _factory = factory;

    public sealed class TracingFactory : ConsentServiceFactory
    {
        /// <summary>Spans of every host in the test process arrive here concurrently (ASP.NET Core's activity
        /// source is process-wide), so adding takes the lock the test enumerates under.</summary>
        public LockedSpans Spans { get; } = [];

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            // An exporter is configured here, so spans are recorded as with OTEL_EXPORTER_OTLP_ENDPOINT set.
            builder.ConfigureTestServices(services => services.ConfigureOpenTelemetryTracerProvider(tracing =>
                tracing.SetSampler(new OpenTelemetry.Trace.AlwaysOnSampler()).AddInMemoryExporter(Spans)));
        }
    }

    public sealed class LockedSpans : System.Collections.ObjectModel.Collection<Activity>
    {
        protected override void InsertItem(int index, Activity item)
        {
            lock (this)
                base.InsertItem(index, item);
        }
    }

    private async Task<(string Patient, string Uid)> DecideOnceAsync()
    {
        var client = _factory.FhirClient();
        var patient = $"phi-patient-{TestData.NewId()}";
        var uid = TestData.NewUid();
        await client.CreateAsync(TestData.Study(patient, uid));
        await client.CreateAsync(TestData.Consent(patient));
        using var http = _factory.CreateClient();
        var response = await http.PostAsync("/api/v1/decisions", new StringContent($$"""{"study":"{{uid}}","actor":"Organization/acme-ai"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/fhir/Consent?patient=Patient/{patient}")).StatusCode);
        return (patient, uid);
    }

    [Fact]
    public async System.Threading.Tasks.Task Metrics_expose_request_and_decision_instruments()
    {
        await DecideOnceAsync();
        using var http = _factory.CreateClient();
        var metrics = await http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        var text = await metrics.Content.ReadAsStringAsync();
        Assert.Contains("http_server_request_duration_seconds", text);
        Assert.Matches("consent_decisions_total\\{[^}]*decision=\"permit\"", text);
        Assert.Contains("consent_decision_duration_seconds_bucket", text);
        Assert.Contains("consent_audit_commit_duration_seconds", text);
        Assert.Contains("consent_audit_decisions_per_commit", text);
        Assert.Contains("consent_cache_requests_total", text);
    }

    [Fact]
    public async System.Threading.Tasks.Task Spans_carry_no_patient_ids_study_uids_or_query_strings()
    {
        var (patient, uid) = await DecideOnceAsync();
        await System.Threading.Tasks.Task.Delay(200); // the exporter receives spans when they end
        lock (_factory.Spans)
        {
            Assert.Contains(_factory.Spans, s => s.DisplayName.Contains("/api/v1/decisions", StringComparison.Ordinal));
            Assert.Contains(_factory.Spans, s => s.OperationName == "engine.decide");
            foreach (var span in _factory.Spans)
            {
                var everything = span.DisplayName + " " + string.Join(" ", span.TagObjects.Select(t => $"{t.Key}={t.Value}"));
                Assert.DoesNotContain(patient, everything);
                Assert.DoesNotContain(uid, everything);
                Assert.DoesNotContain("patient=", everything);
            }
        }
    }
}
