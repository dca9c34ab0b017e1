using System.Globalization;
using System.Text;

namespace ConsentService.Deploy.Tests.GoTemplates;

/// <summary>Go's view of template data. Values are null, string, bool, long, double,
/// <c>IDictionary&lt;string, object?&gt;</c>, <c>IList&lt;object?&gt;</c> or a <see cref="Method"/>.</summary>
internal static class GoValues
{
    /// <summary>text/template's truth: false, 0, nil, and empty strings, maps and lists are false.</summary>
    public static bool IsTrue(object? value) => value switch
    {
        null => false,
        bool b => b,
        string s => s.Length > 0,
        long n => n != 0,
        double d => d != 0,
        IDictionary<string, object?> map => map.Count > 0,
        IList<object?> list => list.Count > 0,
        _ => true,
    };

    /// <summary>Prints as <c>fmt.Sprint</c> (the <c>%v</c> verb) does; Helm turns a missing value's
    /// <c>&lt;no value&gt;</c> into the empty string.</summary>
    public static string Print(object? value) => value switch
    {
        null => "",
        string s => s,
        bool b => b ? "true" : "false",
        long n => n.ToString(CultureInfo.InvariantCulture),
        double d => FormatFloat(d),
        IDictionary<string, object?> map => "map[" + string.Join(' ', map.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + ":" + PrintNested(p.Value))) + "]",
        IList<object?> list => "[" + string.Join(' ', list.Select(PrintNested)) + "]",
        _ => value.ToString() ?? "",
    };

    private static string PrintNested(object? value) => value is null ? "<nil>" : Print(value);

    /// <summary>Go's <c>%v</c> of a float64: shortest digits, exponent form when the exponent is below -4 or at least 6
    /// (so Helm renders a value of 1000000 as <c>1e+06</c>, a known trap this renderer keeps).</summary>
    public static string FormatFloat(double value)
    {
        if (double.IsNaN(value))
        {
            return "NaN";
        }
        if (double.IsInfinity(value))
        {
            return value > 0 ? "+Inf" : "-Inf";
        }
        if (value == 0)
        {
            return "0";
        }
        var (digits, pointPosition) = ShortestDigits(Math.Abs(value));
        var sign = value < 0 ? "-" : "";
        var exponent = pointPosition - 1;
        if (exponent < -4 || exponent >= 6)
        {
            var mantissa = digits.Length == 1 ? digits : digits[0] + "." + digits[1..];
            return $"{sign}{mantissa}e{(exponent < 0 ? '-' : '+')}{Math.Abs(exponent):00}";
        }
        if (pointPosition <= 0)
        {
            return sign + "0." + new string('0', -pointPosition) + digits;
        }
        if (pointPosition >= digits.Length)
        {
            return sign + digits + new string('0', pointPosition - digits.Length);
        }
        return sign + digits[..pointPosition] + "." + digits[pointPosition..];
    }

    /// <summary>The shortest round-trip decimal digits (no leading or trailing zeros) and the decimal point's position.</summary>
    private static (string Digits, int PointPosition) ShortestDigits(double positive)
    {
        var text = positive.ToString("R", CultureInfo.InvariantCulture);
        var exponent = 0;
        var e = text.IndexOfAny(['E', 'e']);
        if (e >= 0)
        {
            exponent = int.Parse(text[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            text = text[..e];
        }
        var dot = text.IndexOf('.');
        var integerPart = dot < 0 ? text : text[..dot];
        var fraction = dot < 0 ? "" : text[(dot + 1)..];
        var digits = integerPart + fraction;
        var point = integerPart.Length + exponent;
        var leading = digits.Length - digits.TrimStart('0').Length;
        digits = digits.TrimStart('0');
        point -= leading;
        digits = digits.TrimEnd('0');
        return (digits.Length == 0 ? "0" : digits, point);
    }

    /// <summary>text/template's <c>eq</c> of two basic values: numbers compare by value, other kinds must match.</summary>
    public static bool BasicEquals(object? a, object? b)
    {
        if (a is null || b is null)
        {
            return a is null && b is null;
        }
        if (IsNumber(a) && IsNumber(b))
        {
            return ToDouble(a) == ToDouble(b);
        }
        return (a, b) switch
        {
            (string x, string y) => x == y,
            (bool x, bool y) => x == y,
            _ => throw new TemplateException($"incompatible types for comparison: {TypeName(a)} and {TypeName(b)}"),
        };
    }

    public static bool IsNumber(object? value) => value is long or double;

    public static double ToDouble(object? value) => value switch
    {
        long n => n,
        double d => d,
        _ => throw new TemplateException($"expected a number, got {TypeName(value)}"),
    };

    public static long ToInteger(object? value) => value switch
    {
        long n => n,
        double d when d == Math.Floor(d) => (long)d,
        string s when long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) => n,
        _ => throw new TemplateException($"expected an integer, got {TypeName(value)} {Print(value)}"),
    };

    public static string TypeName(object? value) => value switch
    {
        null => "nil",
        string => "string",
        bool => "bool",
        long => "int64",
        double => "float64",
        IDictionary<string, object?> => "map[string]interface {}",
        IList<object?> => "[]interface {}",
        _ => value.GetType().Name,
    };

    /// <summary>Go's <c>%q</c> of a string, as Sprig's <c>quote</c> writes it.</summary>
    public static string GoQuote(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in s)
        {
            sb.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                < ' ' => $"\\x{(int)c:x2}",
                _ => c.ToString(),
            });
        }
        return sb.Append('"').ToString();
    }
}

/// <summary>A method on template data, such as Helm's <c>.Files.Get</c>.</summary>
internal sealed record Method(Func<object?[], object?> Invoke);
