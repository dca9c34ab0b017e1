using System.Text;
using ConsentService.Application.Ports;

namespace ConsentService.Application.Search;

/// <summary>The outcome of <see cref="SearchRequestParser.Parse"/>.</summary>
/// <param name="Warnings">Ignored parameters, modifiers or sort keys, and adjusted values (lenient handling);
/// the API reports them as OperationOutcome warnings in the bundle.</param>
public sealed record ParsedSearch(SearchQuery Query, IReadOnlyList<string> Warnings)
{
    /// <summary>The parameters that took effect, as sent (name with modifier, raw value), in request order,
    /// without the paging parameters <c>_count</c>, <c>_offset</c>, <c>_snapshot</c>. <c>_format</c> and
    /// <c>_pretty</c> are kept so that paging links answer in the format the client asked for.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> EffectiveParameters { get; init; } = [];

    /// <summary>
    /// The query string (without "?") for a bundle link: the effective parameters, then <c>_count</c>,
    /// <c>_offset</c> (when not 0) and <c>_snapshot</c> (when known). Unspecified arguments take the query's values.
    /// </summary>
    public string ToQueryString(int? offset = null, long? snapshot = null, int? count = null)
    {
        var builder = new StringBuilder();
        foreach (var (name, value) in EffectiveParameters) Append(builder, name, value);
        Append(builder, "_count", (count ?? Query.Count).ToString(System.Globalization.CultureInfo.InvariantCulture));
        var effectiveOffset = offset ?? Query.Offset;
        if (effectiveOffset != 0) Append(builder, "_offset", effectiveOffset.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var effectiveSnapshot = snapshot ?? Query.Snapshot;
        if (effectiveSnapshot is { } s) Append(builder, "_snapshot", s.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return builder.ToString();
    }

    private static void Append(StringBuilder builder, string name, string value)
    {
        if (builder.Length > 0) builder.Append('&');
        builder.Append(Encode(name)).Append('=').Append(Encode(value));
    }

    // ':' ',' '/' are legal in a query component and keep links readable; everything else reserved is escaped
    // (notably '|' and '+', which some servers would otherwise read as a space).
    private static string Encode(string text) =>
        Uri.EscapeDataString(text).Replace("%3A", ":", StringComparison.Ordinal)
            .Replace("%2C", ",", StringComparison.Ordinal).Replace("%2F", "/", StringComparison.Ordinal);
}
