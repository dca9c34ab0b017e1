using System.Globalization;

namespace ConsentService.Domain.Fhir;

/// <summary>
/// A half-open interval of instants [Start, End). A FHIR Period with partial dates covers its whole precision:
/// end "2024" means up to the start of 2025. Date-only values are read in UTC.
/// </summary>
public readonly record struct InstantRange(DateTimeOffset Start, DateTimeOffset End)
{
    public bool Contains(DateTimeOffset instant) => instant >= Start && instant < End;

    public static InstantRange? FromPeriod(string? start, string? end)
    {
        if (string.IsNullOrWhiteSpace(start) && string.IsNullOrWhiteSpace(end)) return null;
        var from = FhirTime.TryParse(start, out var s) ? s.Start : DateTimeOffset.MinValue;
        var to = FhirTime.TryParse(end, out var e) ? e.End : DateTimeOffset.MaxValue;
        return new InstantRange(from, to);
    }
}

/// <summary>Parses FHIR date, dateTime and instant strings into the range of instants they denote.</summary>
public static class FhirTime
{
    private static readonly string[] FullFormats =
    [
        "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mmK",
    ];

    public static bool TryParse(string? value, out InstantRange range)
    {
        range = default;
        if (string.IsNullOrWhiteSpace(value)) return false;
        var text = value.Trim();
        var inv = CultureInfo.InvariantCulture;
        const DateTimeStyles utc = DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal;
        switch (text.Length)
        {
            case 4 when DateTime.TryParseExact(text, "yyyy", inv, utc, out var y):
                range = Whole(y, y.AddYears(1));
                return true;
            case 7 when DateTime.TryParseExact(text, "yyyy-MM", inv, utc, out var m):
                range = Whole(m, m.AddMonths(1));
                return true;
            case 10 when DateTime.TryParseExact(text, "yyyy-MM-dd", inv, utc, out var d):
                range = Whole(d, d.AddDays(1));
                return true;
        }
        if (!DateTimeOffset.TryParseExact(text, FullFormats, inv, DateTimeStyles.None, out var instant)) return false;
        range = new InstantRange(instant, instant.AddTicks(1));
        return true;
    }

    /// <summary>The earliest instant a FHIR date/dateTime denotes, or null when absent or unreadable.</summary>
    public static DateTimeOffset? StartOf(string? value) => TryParse(value, out var r) ? r.Start : null;

    private static InstantRange Whole(DateTime from, DateTime to) =>
        new(new DateTimeOffset(from, TimeSpan.Zero), new DateTimeOffset(to, TimeSpan.Zero));
}
