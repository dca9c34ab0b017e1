using System.Globalization;
using System.Text;
using ConsentService.Deploy.Tests.GoTemplates;

namespace ConsentService.Deploy.Tests.Yaml;

/// <summary>Helm's <c>toYaml</c>: data through JSON into go-yaml, so map keys come sorted, sequences sit at their
/// key's indentation, integral numbers print as integers, and strings that would read back as something else are quoted.</summary>
public static class YamlEmitter
{
    public static string Emit(object? value)
    {
        var sb = new StringBuilder();
        switch (value)
        {
            case IDictionary<string, object?> { Count: > 0 } map:
                EmitMap(map, 0, sb);
                break;
            case IList<object?> { Count: > 0 } list:
                EmitList(list, 0, sb);
                break;
            default:
                sb.Append(Scalar(value)).Append('\n');
                break;
        }
        return sb.ToString();
    }

    private static void EmitMap(IDictionary<string, object?> map, int indent, StringBuilder sb)
    {
        var pad = new string(' ', indent);
        foreach (var (key, value) in map.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            sb.Append(pad).Append(Scalar(key)).Append(':');
            switch (value)
            {
                case IDictionary<string, object?> { Count: > 0 } child:
                    sb.Append('\n');
                    EmitMap(child, indent + 2, sb);
                    break;
                case IList<object?> { Count: > 0 } list:
                    sb.Append('\n');
                    EmitList(list, indent, sb);
                    break;
                default:
                    sb.Append(' ').Append(Scalar(value)).Append('\n');
                    break;
            }
        }
    }

    private static void EmitList(IList<object?> list, int indent, StringBuilder sb)
    {
        var pad = new string(' ', indent);
        foreach (var item in list)
        {
            switch (item)
            {
                case IDictionary<string, object?> { Count: > 0 } map:
                {
                    var nested = new StringBuilder();
                    EmitMap(map, indent + 2, nested);
                    var text = nested.ToString();
                    sb.Append(pad).Append("- ").Append(text.AsSpan(indent + 2));
                    break;
                }
                case IList<object?> { Count: > 0 } inner:
                {
                    var nested = new StringBuilder();
                    EmitList(inner, indent + 2, nested);
                    sb.Append(pad).Append("- ").Append(nested.ToString().AsSpan(indent + 2));
                    break;
                }
                default:
                    sb.Append(pad).Append("- ").Append(Scalar(item)).Append('\n');
                    break;
            }
        }
    }

    private static string Scalar(object? value) => value switch
    {
        null => "null",
        bool b => b ? "true" : "false",
        long n => n.ToString(CultureInfo.InvariantCulture),
        double d when d == Math.Floor(d) && Math.Abs(d) < 1e21 => ((decimal)d).ToString(CultureInfo.InvariantCulture),
        double d => GoValues.FormatFloat(d),
        string s => QuoteIfNeeded(s),
        IDictionary<string, object?> => "{}",
        IList<object?> => "[]",
        _ => throw new TemplateException($"toYaml cannot write {value.GetType().Name}"),
    };

    private static string QuoteIfNeeded(string s)
    {
        var needsQuotes = s.Length == 0
            || YamlLoader.ResolvePlain(s) is not string
            || s != s.Trim()
            || "-?:,[]{}#&*!|>'\"%@`".Contains(s[0])
            || s.Contains(": ", StringComparison.Ordinal)
            || s.Contains(" #", StringComparison.Ordinal)
            || s.EndsWith(':')
            || s.Any(c => c < ' ');
        return needsQuotes ? GoValues.GoQuote(s) : s;
    }
}
