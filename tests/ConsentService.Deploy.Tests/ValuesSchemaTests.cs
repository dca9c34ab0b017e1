using System.Text.Json;
using ConsentService.Deploy.Tests.GoTemplates;
using ConsentService.Deploy.Tests.Helm;
using static ConsentService.Deploy.Tests.ChartScenarios;

namespace ConsentService.Deploy.Tests;

/// <summary>values.schema.json (draft-07, evaluated by JsonSchema.Net) accepts the shipped values and refuses bad ones,
/// and documents every value.</summary>
public sealed class ValuesSchemaTests
{
    [Fact]
    public void Schema_is_draft_07()
    {
        using var schema = ValuesSchema.Document();
        Assert.Equal("http://json-schema.org/draft-07/schema#", schema.RootElement.GetProperty("$schema").GetString());
    }

    [Theory]
    [MemberData(nameof(Both), MemberType = typeof(ChartScenarios))]
    public void Shipped_values_are_valid(string scenario) =>
        Assert.Empty(ValuesSchema.Validate(Chart.Values(Overrides(scenario))));

    [Theory]
    [InlineData("replicaCount: three", "/replicaCount")]
    [InlineData("replicaCount: 1", "/replicaCount")]
    [InlineData("storage:\n  provider: postgres", "/storage/provider")]
    [InlineData("storage:\n  provider: cosmos", "/storage")]
    [InlineData("service:\n  port: \"80\"", "/service/port")]
    [InlineData("service:\n  port: 70000", "/service/port")]
    [InlineData("securityContext:\n  runAsUser: 0", "/securityContext/runAsUser")]
    [InlineData("image:\n  pullPolicy: Sometimes", "/image/pullPolicy")]
    [InlineData("autoscaling:\n  enabled: \"yes\"", "/autoscaling/enabled")]
    [InlineData("rateLimiting:\n  burst: 1.5", "/rateLimiting/burst")]
    [InlineData("decisions:\n  defaultPolicy: permit-all", "/decisions/defaultPolicy")]
    [InlineData("resources:\n  limits:\n    memory: lots", "/resources/limits/memory")]
    [InlineData("extraConfig:\n  Storage__Cosmos__ConnectionString: AccountEndpoint=x", "/extraConfig")]
    [InlineData("extraConfig:\n  Db__Password: hunter2", "/extraConfig")]
    [InlineData("extraSecretEnv:\n  - name: A\n    secretName: s", "/extraSecretEnv/0")]
    [InlineData("storage:\n  sqlite:\n    persistence:\n      accessModes: [ReadWriteMany]", "/storage/sqlite/persistence/accessModes/0")]
    [InlineData("replicas: 3", "/replicas")]
    [InlineData("storage:\n  cosmos:\n    connectionString: AccountEndpoint=https://x;AccountKey=y", "/storage/cosmos")]
    public void Bad_values_are_refused_naming_the_value(string overrides, string location)
    {
        var errors = ValuesSchema.Validate(Chart.Values(overrides));
        Assert.NotEmpty(errors);
        Assert.Contains(errors, e => e.StartsWith(location, StringComparison.Ordinal));
    }

    [Fact]
    public void Rendering_refuses_values_that_fail_the_schema_as_helm_does()
    {
        var error = Assert.Throws<TemplateException>(() => Chart.Render("service:\n  port: \"80\"\n"));
        Assert.Contains("/service/port", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_value_in_the_schema_is_typed_and_described()
    {
        using var schema = ValuesSchema.Document();
        var missing = new List<string>();
        Walk(schema.RootElement, "#", missing);
        Assert.Empty(missing);
    }

    [Fact]
    public void Every_value_in_values_yaml_is_in_the_schema()
    {
        using var schema = ValuesSchema.Document();
        var unknown = new List<string>();
        CheckKnown(Chart.DefaultValues, schema.RootElement, schema.RootElement, "", unknown);
        Assert.Empty(unknown);
    }

    /// <summary>Each schema with properties: every property typed (or a $ref) and described; objects close their keys.</summary>
    private static void Walk(JsonElement node, string path, List<string> missing)
    {
        if (node.ValueKind != JsonValueKind.Object)
        {
            return;
        }
        if (node.TryGetProperty("properties", out var properties))
        {
            foreach (var property in properties.EnumerateObject())
            {
                var at = $"{path}/properties/{property.Name}";
                var typed = property.Value.TryGetProperty("type", out _) || property.Value.TryGetProperty("$ref", out _);
                var parentIsConditional = path.EndsWith("/then", StringComparison.Ordinal) || path.EndsWith("/if", StringComparison.Ordinal) || path.Contains("/then/", StringComparison.Ordinal) || path.Contains("/if/", StringComparison.Ordinal);
                if (!parentIsConditional && (!typed || !property.Value.TryGetProperty("description", out _)))
                {
                    missing.Add(at);
                }
                Walk(property.Value, at, missing);
            }
        }
        foreach (var keyword in new[] { "items", "additionalProperties", "then", "if" })
        {
            if (node.TryGetProperty(keyword, out var child))
            {
                Walk(child, $"{path}/{keyword}", missing);
            }
        }
        if (node.TryGetProperty("definitions", out var definitions))
        {
            foreach (var definition in definitions.EnumerateObject())
            {
                if (!definition.Value.TryGetProperty("type", out _) || !definition.Value.TryGetProperty("description", out _))
                {
                    missing.Add($"{path}/definitions/{definition.Name}");
                }
                Walk(definition.Value, $"{path}/definitions/{definition.Name}", missing);
            }
        }
    }

    private static void CheckKnown(object? value, JsonElement schema, JsonElement root, string path, List<string> unknown)
    {
        if (schema.TryGetProperty("$ref", out var reference))
        {
            schema = root.GetProperty("definitions").GetProperty(reference.GetString()!.Split('/')[^1]);
        }
        if (value is not IDictionary<string, object?> map || !schema.TryGetProperty("properties", out var properties))
        {
            return;
        }
        foreach (var (key, child) in map)
        {
            if (properties.TryGetProperty(key, out var childSchema))
            {
                CheckKnown(child, childSchema, root, $"{path}.{key}", unknown);
            }
            else if (!schema.TryGetProperty("additionalProperties", out var additional) || additional.ValueKind == JsonValueKind.False)
            {
                unknown.Add($"{path}.{key}");
            }
        }
    }
}
