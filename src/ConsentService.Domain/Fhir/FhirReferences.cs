namespace ConsentService.Domain.Fhir;

/// <summary>
/// The one reading of FHIR literal references and business identifiers, shared by the decision engine (matcher
/// keys) and the search index and parser (Reference entries and values), so that both agree on what names what.
/// </summary>
public static class FhirReferences
{
    private const string History = "/_history/";

    /// <summary>
    /// "Patient/1", "Patient/1/_history/2", "https://any.base/fhir/Patient/1" and the same with _history all give
    /// "Patient/1". The base of an absolute URL is dropped whatever it is (this server does not distinguish its own
    /// base from others). Contained ("#x"), URN ("urn:uuid:..."), other schemes, lower-case types, invalid ids and
    /// other malformed references give false: a reference that cannot be read names nothing.
    /// </summary>
    public static bool TryNormalize(string? reference, out string type, out string typeAndId)
    {
        type = typeAndId = string.Empty;
        if (string.IsNullOrEmpty(reference) || reference[0] == '#') return false;
        var span = reference.AsSpan();
        var query = span.IndexOfAny('?', '#');
        if (query >= 0) span = span[..query];
        var history = span.IndexOf(History, StringComparison.Ordinal);
        if (history >= 0)
        {
            if (!IsId(span[(history + History.Length)..])) return false;
            span = span[..history];
        }
        span = span.TrimEnd('/');

        var lastSlash = span.LastIndexOf('/');
        if (lastSlash <= 0) return false;
        var id = span[(lastSlash + 1)..];
        var before = span[..lastSlash];
        var typeStart = before.LastIndexOf('/') + 1;
        var typeSpan = before[typeStart..];
        if (typeStart > 0 && !IsAbsoluteBase(before[..(typeStart - 1)])) return false;
        if (!IsResourceTypeName(typeSpan) || !IsId(id)) return false;

        type = typeSpan.ToString();
        typeAndId = typeStart == 0 && history < 0 && query < 0 && span.Length == reference.Length
            ? reference
            : string.Concat(typeSpan, "/", id);
        return true;
    }

    /// <summary>
    /// The matcher key of a literal reference: "Type/id" (surrounding white space ignored), or null when the
    /// reference is absent or cannot be read. Null never equals a key, so an unreadable reference matches nothing.
    /// </summary>
    public static string? NormaliseLiteral(string? reference) =>
        reference is not null && TryNormalize(reference.Trim(), out _, out var typeAndId) ? typeAndId : null;

    /// <summary>A FHIR resource id: 1 to 64 of [A-Za-z0-9-.].</summary>
    public static bool IsId(ReadOnlySpan<char> id)
    {
        if (id.IsEmpty || id.Length > 64) return false;
        foreach (var c in id)
            if (!char.IsAsciiLetterOrDigit(c) && c != '-' && c != '.') return false;
        return true;
    }

    /// <summary>Identifier key "system|value", or null when either part is missing.</summary>
    public static string? IdentifierKey(string? system, string? value) =>
        string.IsNullOrWhiteSpace(system) || string.IsNullOrWhiteSpace(value) ? null : CodeKey.Of(system.Trim(), value.Trim());

    public static string StudyIdKey(string id) => "ImagingStudy/" + id;

    private static bool IsResourceTypeName(ReadOnlySpan<char> name)
    {
        if (name.IsEmpty || !char.IsAsciiLetterUpper(name[0])) return false;
        foreach (var c in name)
            if (!char.IsAsciiLetter(c)) return false;
        return true;
    }

    private static bool IsAbsoluteBase(ReadOnlySpan<char> baseUrl) =>
        baseUrl.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
        || baseUrl.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
}
