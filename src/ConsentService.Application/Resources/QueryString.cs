namespace ConsentService.Application.Resources;

/// <summary>Splits a raw query ("a=1&amp;b=x%7Cy") into decoded name/value pairs, in order, keeping repeats.</summary>
public static class QueryString
{
    public static IReadOnlyList<KeyValuePair<string, string>> Parse(string query)
    {
        var result = new List<KeyValuePair<string, string>>();
        foreach (var part in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=');
            var name = eq < 0 ? part : part[..eq];
            var value = eq < 0 ? string.Empty : part[(eq + 1)..];
            result.Add(new(Decode(name), Decode(value)));
        }
        return result;
    }

    /// <summary>The inverse of <see cref="Parse"/>: "a=1&amp;b=x%7Cy".</summary>
    public static string Format(IEnumerable<KeyValuePair<string, string>> parameters) =>
        string.Join("&", parameters.Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value)}"));

    private static string Decode(string s) => Uri.UnescapeDataString(s.Replace('+', ' '));
}
