namespace ConsentService.Domain.Fhir;

/// <summary>
/// The one parser of FHIR date, dateTime and instant values and of search date values, into the range of instants
/// they denote: "2020" covers the whole year, "2020-03-04" the whole day, "2020-03-04T10:15:30Z" the whole second
/// (fractions narrow it further, to the tick).
/// </summary>
/// <remarks>
/// Timezone choice: a value without a time (year, month, day) is taken as UTC, because a FHIR date carries no
/// zone and the server has no better one; a value with a time and an offset is converted to UTC; a value with a
/// time but no offset (invalid in resources, tolerated in search values) is taken as UTC too, never as the
/// machine's local time. Accepted forms: <c>yyyy</c>, <c>yyyy-MM</c>, <c>yyyy-MM-dd</c>,
/// <c>yyyy-MM-ddTHH:mm[:ss[.f{1,9}]][Z|(+|-)HH:mm]</c>; nothing else, not even surrounding white space.
/// </remarks>
public static class FhirDateRange
{
    /// <summary>The half-open range [Start, End) the value denotes, as the decision engine compares it.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out InstantRange range)
    {
        range = default;
        if (text.Length < 4 || !TryDigits(text, 0, 4, out var year) || year < 1) return false;
        if (text.Length == 4)
            return Whole(new DateTime(year, 1, 1, 0, 0, 0, DateTimeKind.Utc), Unit.Year, out range);

        if (text.Length < 7 || text[4] != '-' || !TryDigits(text, 5, 2, out var month) || month is < 1 or > 12) return false;
        if (text.Length == 7)
            return Whole(new DateTime(year, month, 1, 0, 0, 0, DateTimeKind.Utc), Unit.Month, out range);

        if (text.Length < 10 || text[7] != '-' || !TryDigits(text, 8, 2, out var day)
            || day < 1 || day > DateTime.DaysInMonth(year, month)) return false;
        var date = new DateTime(year, month, day, 0, 0, 0, DateTimeKind.Utc);
        if (text.Length == 10) return Whole(date, Unit.Day, out range);

        return text[10] == 'T' && TryParseTime(text[11..], date, out range);
    }

    /// <summary>The same range with inclusive bounds, as search compares it: <paramref name="high"/> is the last
    /// tick of the range (<see cref="InstantRange.High"/>).</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out DateTimeOffset low, out DateTimeOffset high)
    {
        var ok = TryParse(text, out InstantRange range);
        (low, high) = ok ? (range.Start, range.High) : default((DateTimeOffset, DateTimeOffset));
        return ok;
    }

    /// <summary>The earliest instant a FHIR date/dateTime denotes, or null when absent or unreadable.</summary>
    public static DateTimeOffset? StartOf(string? value) => TryParse(value, out InstantRange r) ? r.Start : null;

    private static bool TryParseTime(ReadOnlySpan<char> text, DateTime date, out InstantRange range)
    {
        range = default;
        if (text.Length < 5 || text[2] != ':' || !TryDigits(text, 0, 2, out var hour) || hour > 23
            || !TryDigits(text, 3, 2, out var minute) || minute > 59) return false;
        var pos = 5;
        var second = 0;
        long fractionTicks = 0;
        var unit = TimeSpan.TicksPerMinute;
        if (pos < text.Length && text[pos] == ':')
        {
            if (!TryDigits(text, pos + 1, 2, out second) || second > 59) return false;
            pos += 3;
            unit = TimeSpan.TicksPerSecond;
            if (pos < text.Length && text[pos] == '.')
            {
                var digits = 0;
                pos++;
                while (pos < text.Length && char.IsAsciiDigit(text[pos]))
                {
                    if (digits < 7)
                    {
                        fractionTicks = fractionTicks * 10 + (text[pos] - '0');
                        unit /= 10;
                    }
                    digits++;
                    pos++;
                }
                if (digits is 0 or > 9) return false;
                for (var d = Math.Min(digits, 7); d < 7; d++) fractionTicks *= 10;
            }
        }

        if (!TryParseOffset(text[pos..], out var offset)) return false;
        var local = date.AddHours(hour).AddMinutes(minute).AddSeconds(second).AddTicks(fractionTicks);
        var utcTicks = local.Ticks - offset.Ticks;
        if (utcTicks < DateTime.MinValue.Ticks || utcTicks > DateTime.MaxValue.Ticks - unit + 1) return false;
        // The last tick of all has no successor; MaxValue stands for "to the end of time" there, as for year 9999.
        var endTicks = utcTicks > DateTime.MaxValue.Ticks - unit ? DateTime.MaxValue.Ticks : utcTicks + unit;
        range = new InstantRange(new DateTimeOffset(utcTicks, TimeSpan.Zero), new DateTimeOffset(endTicks, TimeSpan.Zero));
        return true;
    }

    private static bool TryParseOffset(ReadOnlySpan<char> text, out TimeSpan offset)
    {
        offset = TimeSpan.Zero;
        if (text.IsEmpty || text is "Z") return true;
        if (text.Length != 6 || (text[0] != '+' && text[0] != '-') || text[3] != ':'
            || !TryDigits(text, 1, 2, out var hours) || !TryDigits(text, 4, 2, out var minutes)
            || hours > 14 || minutes > 59) return false;
        offset = new TimeSpan(hours, minutes, 0);
        if (text[0] == '-') offset = -offset;
        return true;
    }

    private enum Unit { Year, Month, Day }

    private static bool Whole(DateTime start, Unit unit, out InstantRange range)
    {
        // The last year, month or day of year 9999 has no successor: its range runs to MaxValue.
        var isLast = start.Year == 9999 && (unit == Unit.Year || start.Month == 12 && (unit == Unit.Month || start.Day == 31));
        var end = isLast
            ? DateTimeOffset.MaxValue
            : new DateTimeOffset(unit switch
            {
                Unit.Year => start.AddYears(1),
                Unit.Month => start.AddMonths(1),
                _ => start.AddDays(1),
            }, TimeSpan.Zero);
        range = new InstantRange(new DateTimeOffset(start, TimeSpan.Zero), end);
        return true;
    }

    private static bool TryDigits(ReadOnlySpan<char> text, int start, int count, out int value)
    {
        value = 0;
        if (start + count > text.Length) return false;
        for (var i = start; i < start + count; i++)
        {
            if (!char.IsAsciiDigit(text[i])) return false;
            value = value * 10 + (text[i] - '0');
        }
        return true;
    }
}
