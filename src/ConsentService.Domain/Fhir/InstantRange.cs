namespace ConsentService.Domain.Fhir;

/// <summary>
/// A half-open interval of instants [Start, End). A FHIR date, dateTime or instant covers its whole precision:
/// "2024" is [2024-01-01, 2025-01-01), a value to the second is that whole second. <see cref="DateTimeOffset.MaxValue"/>
/// as End means "no end": the year 9999 and an open Period end both reach it.
/// </summary>
public readonly record struct InstantRange(DateTimeOffset Start, DateTimeOffset End)
{
    /// <summary>A Period with a start or end that is present but cannot be read: whether it covers an instant is
    /// unknown, so a permit conditioned on it never applies and a deny does (see the decision engine).</summary>
    public static InstantRange Unreadable { get; } = new(DateTimeOffset.MinValue, DateTimeOffset.MaxValue) { IsUnreadable = true };

    public bool IsUnreadable { get; private init; }

    /// <summary>The last instant (tick) inside the range: the inclusive upper bound search compares against.</summary>
    public DateTimeOffset High => End == DateTimeOffset.MaxValue ? End : End.AddTicks(-1);

    /// <summary>Whether <paramref name="instant"/> certainly lies in the range; never for an unreadable one.</summary>
    public bool Contains(DateTimeOffset instant) =>
        !IsUnreadable && instant >= Start && (instant < End || End == DateTimeOffset.MaxValue);

    /// <summary>
    /// A FHIR Period: null when it has neither start nor end, open on a missing side, and <see cref="Unreadable"/>
    /// when a start or end is present but not a FHIR date/dateTime (never silently widened to an open side).
    /// </summary>
    public static InstantRange? FromPeriod(string? start, string? end)
    {
        var hasStart = !string.IsNullOrEmpty(start);
        var hasEnd = !string.IsNullOrEmpty(end);
        if (!hasStart && !hasEnd) return null;
        var from = DateTimeOffset.MinValue;
        var to = DateTimeOffset.MaxValue;
        if (hasStart)
        {
            if (!FhirDateRange.TryParse(start, out InstantRange s)) return Unreadable;
            from = s.Start;
        }
        if (hasEnd)
        {
            if (!FhirDateRange.TryParse(end, out InstantRange e)) return Unreadable;
            to = e.End;
        }
        return new InstantRange(from, to);
    }
}
