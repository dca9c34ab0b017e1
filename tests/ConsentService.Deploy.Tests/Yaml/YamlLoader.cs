using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ConsentService.Deploy.Tests.Yaml;

/// <summary>Loads YAML (YamlDotNet's parser) into plain data: dictionaries, lists, strings, bools, numbers, null.
/// Plain scalars are resolved as Kubernetes and Helm resolve them (go-yaml, YAML 1.1 booleans such as <c>yes</c>
/// and <c>on</c> included), so an unquoted <c>"1"</c> or <c>on</c> in a ConfigMap shows up as the non-string it is.</summary>
public static partial class YamlLoader
{
    /// <summary>Every document of a stream; empty documents are dropped.</summary>
    /// <param name="numbersAsFloat">Helm reads values through JSON, so every number is a float64; Kubernetes keeps integers.</param>
    public static IReadOnlyList<object?> LoadAll(string yaml, bool numbersAsFloat = false)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new InvalidDataException($"invalid YAML at line {e.Start.Line}, column {e.Start.Column}: {e.Message}\n{Numbered(yaml)}", e);
        }
        return stream.Documents
            .Select(d => Convert(d.RootNode, numbersAsFloat))
            .Where(d => d is not null)
            .ToList();
    }

    public static object? Load(string yaml, bool numbersAsFloat = false)
    {
        var documents = LoadAll(yaml, numbersAsFloat);
        return documents.Count switch
        {
            0 => null,
            1 => documents[0],
            _ => throw new InvalidDataException("expected one YAML document"),
        };
    }

    private static string Numbered(string yaml) =>
        string.Join('\n', yaml.Split('\n').Select((line, i) => $"{i + 1,4}| {line}"));

    private static object? Convert(YamlNode node, bool numbersAsFloat)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
            {
                var map = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (var (key, value) in mapping.Children)
                {
                    var name = key is YamlScalarNode scalar ? scalar.Value ?? "" : throw new InvalidDataException("only scalar keys are supported");
                    if (!map.TryAdd(name, Convert(value, numbersAsFloat)))
                    {
                        throw new InvalidDataException($"duplicate key '{name}'");
                    }
                }
                return map;
            }
            case YamlSequenceNode sequence:
                return sequence.Children.Select(c => Convert(c, numbersAsFloat)).ToList();
            case YamlScalarNode scalar:
                return Resolve(scalar, numbersAsFloat);
            default:
                throw new InvalidDataException($"unsupported YAML node {node.NodeType}");
        }
    }

    private static object? Resolve(YamlScalarNode scalar, bool numbersAsFloat)
    {
        var text = scalar.Value ?? "";
        if (!scalar.Tag.IsEmpty && scalar.Tag.Value is "tag:yaml.org,2002:str" or "!!str")
        {
            return text;
        }
        if (scalar.Style != ScalarStyle.Plain)
        {
            return text;
        }
        return ResolvePlain(text, numbersAsFloat);
    }

    /// <summary>The type a plain (unquoted) scalar resolves to.</summary>
    public static object? ResolvePlain(string text, bool numbersAsFloat = false)
    {
        switch (text)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE" or "yes" or "Yes" or "YES" or "on" or "On" or "ON" or "y" or "Y":
                return true;
            case "false" or "False" or "FALSE" or "no" or "No" or "NO" or "off" or "Off" or "OFF" or "n" or "N":
                return false;
            case ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF":
                return double.PositiveInfinity;
            case "-.inf" or "-.Inf" or "-.INF":
                return double.NegativeInfinity;
            case ".nan" or ".NaN" or ".NAN":
                return double.NaN;
        }
        var plain = text.Replace("_", "", StringComparison.Ordinal);
        if (IntegerPattern().IsMatch(plain))
        {
            long value;
            if (plain.StartsWith("0x", StringComparison.OrdinalIgnoreCase) || plain.StartsWith("-0x", StringComparison.OrdinalIgnoreCase))
            {
                var negative = plain.StartsWith('-');
                value = long.Parse(plain[(negative ? 3 : 2)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture) * (negative ? -1 : 1);
            }
            else if (plain.TrimStart('-', '+').StartsWith('0') && plain.TrimStart('-', '+').Length > 1)
            {
                var digits = plain.TrimStart('-', '+').TrimStart('0', 'o');
                value = digits.Length == 0 ? 0 : System.Convert.ToInt64(digits, 8) * (plain.StartsWith('-') ? -1 : 1);
            }
            else
            {
                value = long.Parse(plain, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            }
            return numbersAsFloat ? (object)(double)value : value;
        }
        if (FloatPattern().IsMatch(plain))
        {
            return double.Parse(plain, NumberStyles.Float, CultureInfo.InvariantCulture);
        }
        return text;
    }

    [GeneratedRegex("^[-+]?(0|[1-9][0-9]*|0[0-7]+|0o[0-7]+|0x[0-9a-fA-F]+)$")]
    private static partial Regex IntegerPattern();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();
}
