using System.Text.RegularExpressions;
using ConsentService.Deploy.Tests.GoTemplates;
using ConsentService.Deploy.Tests.Yaml;

namespace ConsentService.Deploy.Tests.Helm;

/// <summary>What <c>helm template</c> does with this chart, as far as a test without helm can do it: read Chart.yaml
/// and values.yaml, coalesce override values, validate them against values.schema.json, render every template with
/// the Helm objects (.Values, .Release, .Chart, .Template, .Files) and split the output into YAML documents.</summary>
public sealed partial class HelmChart
{
    public const string ReleaseName = "consent";
    public const string Namespace = "imaging";

    private readonly TemplateSet _templates = new();
    private readonly List<string> _manifestTemplates = [];

    public string Directory { get; }
    public string Name { get; }
    public IDictionary<string, object?> ChartMetadata { get; }
    public IDictionary<string, object?> DefaultValues { get; }

    private HelmChart(string directory)
    {
        Directory = directory;
        ChartMetadata = (IDictionary<string, object?>)YamlLoader.Load(File.ReadAllText(Path.Combine(directory, "Chart.yaml")))!;
        Name = (string)ChartMetadata["name"]!;
        DefaultValues = (IDictionary<string, object?>?)YamlLoader.Load(File.ReadAllText(Path.Combine(directory, "values.yaml")), numbersAsFloat: true)
            ?? new Dictionary<string, object?>();
        foreach (var file in System.IO.Directory.GetFiles(Path.Combine(directory, "templates")).Order(StringComparer.Ordinal))
        {
            var fileName = Path.GetFileName(file);
            var templateName = $"{Name}/templates/{fileName}";
            _templates.Add(templateName, File.ReadAllText(file));
            if (!fileName.StartsWith('_') && fileName.EndsWith(".yaml", StringComparison.Ordinal))
            {
                _manifestTemplates.Add(templateName);
            }
        }
    }

    public static HelmChart Load() => new(RepositoryFiles.Path("helm"));

    /// <summary>The default values with <paramref name="overrides"/> (YAML, as with <c>-f</c>) coalesced over them.</summary>
    public IDictionary<string, object?> Values(params string[] overrides)
    {
        var values = DeepCopy(DefaultValues);
        foreach (var yaml in overrides)
        {
            if (YamlLoader.Load(yaml, numbersAsFloat: true) is IDictionary<string, object?> map)
            {
                Coalesce(values, map);
            }
        }
        return values;
    }

    /// <summary>Renders every manifest template for the coalesced values: template file name to its rendered text.</summary>
    /// <param name="validate">Helm always validates; tests turn it off only to reach a template's own guard.</param>
    public IReadOnlyDictionary<string, string> RenderTemplates(IDictionary<string, object?> values, bool validate = true)
    {
        var errors = validate ? ValuesSchema.Validate(values) : [];
        if (errors.Count > 0)
        {
            throw new TemplateException("values don't meet the schema:\n" + string.Join('\n', errors));
        }
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var template in _manifestTemplates)
        {
            result[template] = _templates.Execute(template, TopLevelObject(values, template));
        }
        return result;
    }

    /// <summary>Renders and parses: every non-empty Kubernetes document, in template order.</summary>
    public Manifests Render(params string[] overrides)
    {
        var values = Values(overrides);
        var documents = new List<Manifest>();
        foreach (var (template, text) in RenderTemplates(values))
        {
            foreach (var document in DocumentSeparator().Split(text))
            {
                if (YamlLoader.Load(document) is { } parsed)
                {
                    documents.Add(new Manifest(template, document, parsed as IDictionary<string, object?>
                        ?? throw new InvalidDataException($"{template}: a document is not a mapping")));
                }
            }
        }
        return new Manifests(documents);
    }

    private Dictionary<string, object?> TopLevelObject(IDictionary<string, object?> values, string template) => new()
    {
        ["Values"] = values,
        ["Release"] = new Dictionary<string, object?>
        {
            ["Name"] = ReleaseName,
            ["Namespace"] = Namespace,
            ["Service"] = "Helm",
            ["IsInstall"] = true,
            ["IsUpgrade"] = false,
            ["Revision"] = 1L,
        },
        ["Chart"] = ChartMetadata.ToDictionary(p => char.ToUpperInvariant(p.Key[0]) + p.Key[1..], p => p.Value),
        ["Template"] = new Dictionary<string, object?> { ["Name"] = template, ["BasePath"] = $"{Name}/templates" },
        ["Files"] = new Dictionary<string, object?>
        {
            ["Get"] = new Method(args => ReadChartFile(args.Length == 1 ? args[0] as string : null)),
        },
        ["Capabilities"] = new Dictionary<string, object?>
        {
            ["KubeVersion"] = new Dictionary<string, object?> { ["Version"] = "v1.31.0", ["Major"] = "1", ["Minor"] = "31" },
        },
    };

    /// <summary><c>.Files.Get</c>: a chart file's text, empty when missing; templates/ is not reachable, as in Helm.</summary>
    private string ReadChartFile(string? relative)
    {
        if (relative is null || relative.StartsWith("templates/", StringComparison.Ordinal) || relative.Contains("..", StringComparison.Ordinal))
        {
            return "";
        }
        var path = Path.Combine(Directory, relative);
        return File.Exists(path) ? File.ReadAllText(path) : "";
    }

    /// <summary>Helm's coalescing of user values over chart defaults: maps merge key by key, anything else replaces,
    /// and a null removes the default.</summary>
    private static void Coalesce(IDictionary<string, object?> target, IDictionary<string, object?> overrides)
    {
        foreach (var (key, value) in overrides)
        {
            if (value is null)
            {
                target.Remove(key);
            }
            else if (value is IDictionary<string, object?> map && target.TryGetValue(key, out var existing) && existing is IDictionary<string, object?> existingMap)
            {
                Coalesce(existingMap, map);
            }
            else
            {
                target[key] = value;
            }
        }
    }

    private static Dictionary<string, object?> DeepCopy(IDictionary<string, object?> map) =>
        map.ToDictionary(p => p.Key, p => Copy(p.Value), StringComparer.Ordinal);

    private static object? Copy(object? value) => value switch
    {
        IDictionary<string, object?> map => DeepCopy(map),
        IList<object?> list => list.Select(Copy).ToList(),
        _ => value,
    };

    [GeneratedRegex(@"(?m)^---[ \t]*\r?$")]
    private static partial Regex DocumentSeparator();
}
