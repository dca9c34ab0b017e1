using ConsentService.Application.Ports;

namespace ConsentService.Stores.Tests;

/// <summary>Builders for writes and queries used by the contract suite.</summary>
internal static class StoreTestData
{
    public const string Consent = "Consent";
    public const string Study = "ImagingStudy";

    public static ResourceWrite Write(
        string id,
        IEnumerable<SearchIndexEntry>? index = null,
        IEnumerable<string>? keys = null,
        int? ifMatch = null,
        string type = Consent,
        string status = "active") =>
        new(type, id, $$"""{"resourceType":"{{type}}","id":"{{id}}","status":"{{status}}"}""",
            [.. index ?? []], [.. keys ?? []], ifMatch);

    public static SearchIndexEntry TokenEntry(string param, string? system, string value) =>
        new(param, SearchParamType.Token, system, value);

    public static SearchIndexEntry ReferenceEntry(string param, string reference) =>
        new(param, SearchParamType.Reference, null, reference);

    public static SearchIndexEntry StringEntry(string param, string value) =>
        new(param, SearchParamType.String, null, value);

    public static SearchIndexEntry DateEntry(string param, DateTimeOffset low, DateTimeOffset high) =>
        new(param, SearchParamType.Date, null, null, low, high);

    /// <summary>The implicit range of a whole UTC day.</summary>
    public static SearchIndexEntry DayEntry(string param, int year, int month, int day) =>
        DateEntry(param, Utc(year, month, day), Utc(year, month, day).AddDays(1).AddTicks(-1));

    public static DateTimeOffset Utc(int year, int month, int day) => new(year, month, day, 0, 0, 0, TimeSpan.Zero);

    public static SearchQuery Query(params SearchClause[] clauses) => new(Consent, clauses, [], 100);

    public static SearchClause Token(string param, string? system, string? value, bool systemIsEmpty = false, bool negate = false) =>
        new(param, SearchParamType.Token, [new SearchValue(System: system, Value: value, SystemIsEmpty: systemIsEmpty)], negate);

    public static SearchClause Reference(string param, string value, bool idOnly = false) =>
        new(param, SearchParamType.Reference, [new SearchValue(Value: value, MatchIdOnly: idOnly)]);

    public static SearchClause String(string param, string value) =>
        new(param, SearchParamType.String, [new SearchValue(Value: value)]);

    public static SearchClause Date(string param, DatePrefix prefix, DateTimeOffset low, DateTimeOffset high) =>
        new(param, SearchParamType.Date, [new SearchValue(Prefix: prefix, Low: low, High: high)]);

    public static SearchClause Ids(params string[] ids) =>
        new("_id", SearchParamType.Token, [.. ids.Select(i => new SearchValue(Value: i))]);

    public static string[] IdsOf(SearchPage page) => [.. page.Resources.Select(r => r.Id)];

    public static string[] Sorted(IEnumerable<string> ids) => [.. ids.Order(StringComparer.Ordinal)];
}
