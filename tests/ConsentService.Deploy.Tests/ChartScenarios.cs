using ConsentService.Deploy.Tests.Helm;

namespace ConsentService.Deploy.Tests;

/// <summary>The two installs the chart exists for: the default (SQLite) and the one in helm/ci/cosmos-values.yaml.</summary>
public static class ChartScenarios
{
    public const string Sqlite = "sqlite";
    public const string Cosmos = "cosmos";

    public static readonly HelmChart Chart = HelmChart.Load();

    public static TheoryData<string> Both => new() { Sqlite, Cosmos };

    public static string[] Overrides(string scenario, params string[] more) => scenario switch
    {
        Sqlite => more,
        Cosmos => [RepositoryFiles.Read("helm/ci/cosmos-values.yaml"), .. more],
        _ => throw new ArgumentOutOfRangeException(nameof(scenario)),
    };

    public static Manifests Render(string scenario, params string[] more) => Chart.Render(Overrides(scenario, more));

    public static IDictionary<string, object?> Map(object? value) =>
        Assert.IsAssignableFrom<IDictionary<string, object?>>(value);

    public static IDictionary<string, object?> AsMap(this object? value) => Map(value);
}
