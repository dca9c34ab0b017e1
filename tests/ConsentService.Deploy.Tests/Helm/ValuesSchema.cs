using System.Text.Json;
using Json.Schema;

namespace ConsentService.Deploy.Tests.Helm;

/// <summary>values.schema.json (JSON Schema draft-07) evaluated by JsonSchema.Net, as helm does before it renders.</summary>
public static class ValuesSchema
{
    private static readonly Lazy<JsonSchema> Schema = new(() =>
        JsonSchema.FromText(File.ReadAllText(RepositoryFiles.Path("helm/values.schema.json"))));

    public static JsonDocument Document() => JsonDocument.Parse(File.ReadAllText(RepositoryFiles.Path("helm/values.schema.json")));

    /// <summary>Every failure, as "instance location: message"; empty when the values are valid.</summary>
    public static IReadOnlyList<string> Validate(object? values)
    {
        var element = JsonSerializer.SerializeToElement(values);
        var results = Schema.Value.Evaluate(element, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (results.IsValid)
        {
            return [];
        }
        // The list format also reports the failing "if" of an if/then, which is no error; every other failing node is one.
        var failures = (results.Details ?? [])
            .Where(d => !d.IsValid && d.EvaluationPath.ToString().Length > 0 && !d.EvaluationPath.ToString().Contains("/if", StringComparison.Ordinal))
            .Select(d => $"{d.InstanceLocation}: " + (d.Errors is { Count: > 0 } errors
                ? string.Join("; ", errors.Select(e => $"{e.Key}: {e.Value}"))
                : $"fails {d.EvaluationPath}"))
            .Distinct()
            .ToList();
        return failures.Count > 0 ? failures : ["values are invalid"];
    }
}
