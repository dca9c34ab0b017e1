using System.Collections.Frozen;
using System.Text.Json;

namespace ConsentService.Domain.Terminology;

/// <summary>
/// An is-a hierarchy of one code system, loaded from a shipped data file (concepts with their parents), with the
/// ancestor and descendant closures computed once at load.
/// </summary>
internal sealed class IsAHierarchy
{
    private readonly FrozenDictionary<string, string[]> _ancestorsOrSelf;
    private readonly FrozenDictionary<string, string[]> _descendantsOrSelf;

    public string System { get; }
    public string Source { get; }
    public FrozenDictionary<string, string> Displays { get; }

    private IsAHierarchy(string system, string source, Dictionary<string, string[]> parents, Dictionary<string, string> displays)
    {
        System = system;
        Source = source;
        Displays = displays.ToFrozenDictionary(StringComparer.Ordinal);
        var up = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var code in parents.Keys) up[code] = Closure(code, parents);
        _ancestorsOrSelf = up.ToFrozenDictionary(StringComparer.Ordinal);
        var down = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (code, ancestors) in up)
            foreach (var ancestor in ancestors)
            {
                if (!down.TryGetValue(ancestor, out var list)) down[ancestor] = list = [];
                list.Add(code);
            }
        _descendantsOrSelf = down.ToFrozenDictionary(kv => kv.Key, kv => kv.Value.ToArray(), StringComparer.Ordinal);
    }

    public IEnumerable<string> Codes => _ancestorsOrSelf.Keys;

    public bool Contains(string code) => _ancestorsOrSelf.ContainsKey(code);

    /// <summary>The code followed by all its ancestors; an unknown code is its own only ancestor.</summary>
    public IReadOnlyList<string> AncestorsOrSelf(string code) =>
        _ancestorsOrSelf.TryGetValue(code, out var a) ? a : [code];

    public IReadOnlyList<string> DescendantsOrSelf(string code) =>
        _descendantsOrSelf.TryGetValue(code, out var d) ? d : [code];

    public static IsAHierarchy LoadEmbedded(string resourceName)
    {
        var assembly = typeof(IsAHierarchy).Assembly;
        using var stream = assembly.GetManifestResourceStream(resourceName)
            ?? throw new InvalidOperationException($"Embedded terminology resource '{resourceName}' is missing.");
        using var document = JsonDocument.Parse(stream);
        var root = document.RootElement;
        var parents = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var displays = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var concept in root.GetProperty("concepts").EnumerateArray())
        {
            var code = concept.GetProperty("code").GetString()!;
            parents[code] = concept.GetProperty("parents").EnumerateArray().Select(p => p.GetString()!).ToArray();
            if (concept.TryGetProperty("display", out var display) && display.GetString() is { } text) displays[code] = text;
        }
        return new IsAHierarchy(root.GetProperty("system").GetString()!, root.GetProperty("source").GetString()!, parents, displays);
    }

    private static string[] Closure(string code, Dictionary<string, string[]> parents)
    {
        var result = new List<string> { code };
        var seen = new HashSet<string>(StringComparer.Ordinal) { code };
        for (var i = 0; i < result.Count; i++)
        {
            if (!parents.TryGetValue(result[i], out var direct)) continue;
            foreach (var parent in direct)
                if (seen.Add(parent)) result.Add(parent);
        }
        return result.ToArray();
    }
}
