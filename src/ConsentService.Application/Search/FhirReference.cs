namespace ConsentService.Application.Search;

/// <summary>Normalises literal references to the "Type/id" form the index and search values use.</summary>
public static class FhirReference
{
    private const string History = "/_history/";

    /// <summary>
    /// "Patient/1", "Patient/1/_history/2", "https://any.base/fhir/Patient/1" and the same with _history all give
    /// "Patient/1". The base of an absolute URL is dropped whatever it is (this server does not distinguish its own
    /// base from others). Contained ("#x"), URN ("urn:uuid:...") and malformed references give false.
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

    /// <summary>A FHIR resource id: 1 to 64 of [A-Za-z0-9-.].</summary>
    public static bool IsId(ReadOnlySpan<char> id)
    {
        if (id.IsEmpty || id.Length > 64) return false;
        foreach (var c in id)
            if (!char.IsAsciiLetterOrDigit(c) && c != '-' && c != '.') return false;
        return true;
    }

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
