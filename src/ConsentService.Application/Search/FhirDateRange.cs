namespace ConsentService.Application.Search;

/// <summary>
/// The implicit range of a FHIR date, dateTime or instant value, or of a search date value: "2020" covers the
/// whole year, "2020-03-04" the whole day, "2020-03-04T10:15:30Z" the whole second (fractions narrow it further).
/// </summary>
/// <remarks>
/// Timezone choice: a value without a time (year, month, day) is taken as UTC, because a FHIR date carries no
/// zone and the server has no better one; a value with a time and an offset is converted to UTC; a value with a
/// time but no offset (invalid in resources, tolerated in search values) is taken as UTC too. Bounds are inclusive:
/// <c>High</c> is the last tick of the range. Accepted forms: <c>yyyy</c>, <c>yyyy-MM</c>, <c>yyyy-MM-dd</c>,
/// <c>yyyy-MM-ddTHH:mm[:ss[.f{1,9}]][Z|(+|-)HH:mm]</c>.
/// </remarks>
public static class FhirDateRange
{
    public static bool TryParse(ReadOnlySpan<char> text, out DateTimeOffset low, out DateTimeOffset high)
    {
        low = high = default;
        if (text.Length < 4 || !TryDigits(text, 0, 4, out var year) || year < 1) return false;
        if (text.Length == 4)
            return TrySpan(new DateTime(year, 1, 1, 0, 0, 0, DateTimeKind.Utc), Unit.Year, out low, out high);

        if (text.Length < 7 || text[4] != '-' || !TryDigits(text, 5, 2, out var month) || month is < 1 or > 12) return false;
        if (text.Length == 7)
            return TrySpan(new DateTime(year, month, 1, 0, 0, 0, DateTimeKind.Utc), Unit.Month, out low, out high);

        if (text.Length < 10 || text[7] != '-' || !TryDigits(text, 8, 2, out var day)
            || day < 1 || day > DateTime.DaysInMonth(year, month)) return false;
        var date = new DateTime(year, month, day, 0, 0, 0, DateTimeKind.Utc);
        if (text.Length == 10) return TrySpan(date, Unit.Day, out low, out high);

        return text[10] == 'T' && TryParseTime(text[11..], date, out low, out high);
    }

    private static bool TryParseTime(ReadOnlySpan<char> text, DateTime date, out DateTimeOffset low, out DateTimeOffset high)
    {
        low = high = default;
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
        low = new DateTimeOffset(utcTicks, TimeSpan.Zero);
        high = new DateTimeOffset(utcTicks + unit - 1, TimeSpan.Zero);
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

    private static bool TrySpan(DateTime start, Unit unit, out DateTimeOffset low, out DateTimeOffset high)
    {
        low = new DateTimeOffset(start, TimeSpan.Zero);
        // The last year, month or day of year 9999 has no successor to subtract a tick from.
        var isLast = start.Year == 9999 && (unit == Unit.Year || start.Month == 12 && (unit == Unit.Month || start.Day == 31));
        var next = unit switch
        {
            Unit.Year => isLast ? default : start.AddYears(1),
            Unit.Month => isLast ? default : start.AddMonths(1),
            _ => isLast ? default : start.AddDays(1),
        };
        high = isLast ? DateTimeOffset.MaxValue : new DateTimeOffset(next.AddTicks(-1), TimeSpan.Zero);
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
