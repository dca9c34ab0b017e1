using System.Globalization;
using System.Text.RegularExpressions;

namespace ConsentService.Deploy.Tests.Helm;

/// <summary>One rendered Kubernetes object: the template it came from, its text and its parsed data.</summary>
public sealed partial record Manifest(string Template, string Text, IDictionary<string, object?> Data)
{
    public string Kind => (string)Data["kind"]!;
    public string ApiVersion => (string)Data["apiVersion"]!;
    public string Name => (string)Get("metadata.name")!;

    /// <summary>A value by dotted path with list indexes, e.g. <c>spec.template.spec.containers[0].ports[0].containerPort</c>;
    /// null when any step is missing.</summary>
    public object? Get(string path) => Navigate(Data, path);

    public IDictionary<string, object?> Map(string path) =>
        Get(path) as IDictionary<string, object?> ?? throw new Xunit.Sdk.XunitException($"{Kind}/{Name}: {path} is not a map");

    public IList<object?> List(string path) =>
        Get(path) as IList<object?> ?? throw new Xunit.Sdk.XunitException($"{Kind}/{Name}: {path} is not a list");

    public static object? Navigate(object? root, string path)
    {
        var value = root;
        foreach (Match step in PathStep().Matches(path))
        {
            value = value is IDictionary<string, object?> map && map.TryGetValue(step.Groups["key"].Value, out var found) ? found : null;
            foreach (Capture index in step.Groups["index"].Captures)
            {
                var i = int.Parse(index.Value, CultureInfo.InvariantCulture);
                value = value is IList<object?> list && i < list.Count ? list[i] : null;
            }
        }
        return value;
    }

    [GeneratedRegex(@"(?<key>[^.\[\]]+)(\[(?<index>[0-9]+)\])*")]
    private static partial Regex PathStep();
}

public sealed class Manifests(IReadOnlyList<Manifest> all) : IEnumerable<Manifest>
{
    public IReadOnlyList<Manifest> All => all;

    public IEnumerable<Manifest> OfKind(string kind) => all.Where(m => m.Kind == kind);

    /// <summary>The one object of that kind (the test fails when there are none or several).</summary>
    public Manifest Single(string kind) => Assert.Single(OfKind(kind));

    public Manifest Deployment => Single("Deployment");

    public IDictionary<string, object?> Container =>
        (IDictionary<string, object?>)Assert.Single(Deployment.List("spec.template.spec.containers"))!;

    public IEnumerator<Manifest> GetEnumerator() => all.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
