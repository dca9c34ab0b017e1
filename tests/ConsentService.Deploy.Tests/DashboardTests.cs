using System.Text.Json;
using System.Text.RegularExpressions;
using ConsentService.Deploy.Tests.Helm;

namespace ConsentService.Deploy.Tests;

/// <summary>The Grafana dashboard queries the metric names the service promises (the contract in docs/operations.md)
/// through a Prometheus data source variable.</summary>
public sealed partial class DashboardTests
{
    /// <summary>The metrics contract: names as Prometheus exposes them (histograms add _bucket, _sum, _count).</summary>
    public static readonly string[] ContractMetrics =
    [
        "http_server_request_duration_seconds",
        "consent_decisions_total",
        "consent_decision_duration_seconds",
        "consent_audit_commit_duration_seconds",
        "consent_audit_decisions_per_commit",
        "consent_cache_hits_total",
        "consent_cache_requests_total",
        "consent_store_errors_total",
    ];

    private static JsonDocument Dashboard() => JsonDocument.Parse(RepositoryFiles.Read("helm/dashboards/consentservice.json"));

    private static IEnumerable<JsonElement> Panels(JsonElement dashboard) =>
        dashboard.GetProperty("panels").EnumerateArray().Where(p => p.GetProperty("type").GetString() != "row");

    private static IEnumerable<string> Expressions(JsonElement dashboard) =>
        Panels(dashboard).SelectMany(p => p.GetProperty("targets").EnumerateArray()).Select(t => t.GetProperty("expr").GetString()!);

    [Fact]
    public void Is_a_grafana_10_dashboard_with_a_prometheus_datasource_variable()
    {
        using var document = Dashboard();
        var root = document.RootElement;
        Assert.InRange(root.GetProperty("schemaVersion").GetInt32(), 37, 41);
        Assert.Equal("consentservice", root.GetProperty("uid").GetString());
        var variables = root.GetProperty("templating").GetProperty("list").EnumerateArray().ToList();
        var datasource = Assert.Single(variables, v => v.GetProperty("type").GetString() == "datasource");
        Assert.Equal("prometheus", datasource.GetProperty("query").GetString());
        var name = datasource.GetProperty("name").GetString();
        Assert.All(Panels(root), panel =>
        {
            Assert.Equal("prometheus", panel.GetProperty("datasource").GetProperty("type").GetString());
            Assert.Equal($"${{{name}}}", panel.GetProperty("datasource").GetProperty("uid").GetString());
            Assert.False(string.IsNullOrWhiteSpace(panel.GetProperty("title").GetString()));
            Assert.NotEmpty(panel.GetProperty("targets").EnumerateArray());
        });
    }

    [Fact]
    public void Panels_have_unique_ids_and_fit_the_24_column_grid()
    {
        using var document = Dashboard();
        var panels = document.RootElement.GetProperty("panels").EnumerateArray().ToList();
        Assert.Equal(panels.Count, panels.Select(p => p.GetProperty("id").GetInt32()).Distinct().Count());
        Assert.All(panels, p =>
        {
            var grid = p.GetProperty("gridPos");
            Assert.InRange(grid.GetProperty("x").GetInt32() + grid.GetProperty("w").GetInt32(), 1, 24);
        });
    }

    [Fact]
    public void Every_contract_metric_is_charted_and_every_charted_metric_is_in_the_contract()
    {
        using var document = Dashboard();
        var expressions = Expressions(document.RootElement).ToList();
        Assert.All(ContractMetrics, metric => Assert.Contains(expressions, e => e.Contains(metric, StringComparison.Ordinal)));
        var used = expressions.SelectMany(e => MetricName().Matches(e).Select(m => m.Value))
            .Select(m => Regex.Replace(m, "_(bucket|sum|count)$", ""))
            .Where(m => m.StartsWith("consent_", StringComparison.Ordinal) || m.StartsWith("http_", StringComparison.Ordinal))
            .ToHashSet();
        Assert.Subset(ContractMetrics.ToHashSet(), used);
    }

    [Fact]
    public void Decisions_are_split_by_decision_and_basis_and_requests_by_route_and_status()
    {
        using var document = Dashboard();
        var expressions = Expressions(document.RootElement).ToList();
        Assert.Contains(expressions, e => e.Contains("consent_decisions_total", StringComparison.Ordinal) && e.Contains("by (decision, basis)", StringComparison.Ordinal));
        Assert.Contains(expressions, e => e.Contains("http_server_request_duration_seconds_count", StringComparison.Ordinal) && e.Contains("http_route", StringComparison.Ordinal) && e.Contains("http_response_status_code", StringComparison.Ordinal));
        Assert.Contains(expressions, e => e.Contains("histogram_quantile", StringComparison.Ordinal) && e.Contains("consent_decision_duration_seconds_bucket", StringComparison.Ordinal));
        Assert.Contains(expressions, e => e.Contains("consent_cache_hits_total", StringComparison.Ordinal) && e.Contains("/", StringComparison.Ordinal) && e.Contains("consent_cache_requests_total", StringComparison.Ordinal));
    }

    [Fact]
    public void Operations_guide_lists_the_metrics_contract()
    {
        var guide = RepositoryFiles.Read("docs/operations.md");
        Assert.All(ContractMetrics, metric => Assert.Contains($"`{metric}`", guide, StringComparison.Ordinal));
    }

    [GeneratedRegex("[a-z_]+_(total|seconds|commit)(_bucket|_sum|_count)?")]
    private static partial Regex MetricName();
}
