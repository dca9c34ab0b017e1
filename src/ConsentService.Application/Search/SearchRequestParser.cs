using System.Globalization;
using ConsentService.Application.Ports;
using ConsentService.Domain.Fhir;

namespace ConsentService.Application.Search;

/// <summary>
/// Parses FHIR R4 search parameters into a <see cref="SearchQuery"/>. Repeated parameters are ANDed, comma-separated
/// values ORed (<c>\,</c> <c>\|</c> <c>\$</c> <c>\\</c> escape). Unknown parameters, unsupported modifiers and
/// unsupported sort keys are ignored with a warning, or rejected with <see cref="BadRequestException"/> when
/// <c>strict</c> (the client sent <c>Prefer: handling=strict</c>). Malformed values are always rejected.
/// </summary>
public static class SearchRequestParser
{
    public const int DefaultCount = 20;
    public const int MaxCount = 1000;

    public static ParsedSearch Parse(string resourceType, IReadOnlyList<KeyValuePair<string, string>> parameters, bool strict)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!SearchParameterRegistry.IsSearchable(resourceType))
            throw new BadRequestException($"Resource type '{resourceType}' does not support search.");
        var state = new State(resourceType, strict);
        foreach (var (key, value) in parameters) state.Accept(key, value ?? string.Empty);
        return state.Build();
    }

    private sealed class State(string resourceType, bool strict)
    {
        private readonly List<SearchClause> _clauses = [];
        private readonly List<SortSpec> _sort = [];
        private readonly List<string> _warnings = [];
        private readonly List<KeyValuePair<string, string>> _effective = [];
        private readonly HashSet<string> _singletons = new(StringComparer.Ordinal);
        private int _count = DefaultCount;
        private int _offset;
        private long? _snapshot;
        private bool _summaryCount;

        public ParsedSearch Build()
        {
            var countOnly = _summaryCount || _count == 0;
            var query = new SearchQuery(resourceType, _clauses, _sort, countOnly ? 0 : _count, _offset, _snapshot, countOnly);
            return new ParsedSearch(query, _warnings) { EffectiveParameters = _effective };
        }

        public void Accept(string key, string value)
        {
            var colon = key.IndexOf(':', StringComparison.Ordinal);
            var name = colon < 0 ? key : key[..colon];
            var modifier = colon < 0 ? null : key[(colon + 1)..];

            switch (name)
            {
                case "_format" or "_pretty":
                    _effective.Add(new(key, value));
                    return;
                case "_count":
                    if (!NoModifier(key, modifier)) return;
                    Once(name);
                    _count = ParseCount(value);
                    return;
                case "_offset":
                    if (!NoModifier(key, modifier)) return;
                    Once(name);
                    _offset = checked((int)ParseNonNegative(name, value, int.MaxValue));
                    return;
                case "_snapshot":
                    if (!NoModifier(key, modifier)) return;
                    Once(name);
                    _snapshot = ParseNonNegative(name, value, long.MaxValue);
                    return;
                case "_summary":
                    if (!NoModifier(key, modifier)) return;
                    AcceptSummary(key, value);
                    return;
                case "_sort":
                    if (!NoModifier(key, modifier)) return;
                    Once(name);
                    AcceptSort(key, value);
                    return;
                case "_id":
                    if (!NoModifier(key, modifier)) return;
                    AddClause(key, value, new SearchClause(name, SearchParamType.Token, ParseIds(name, value)));
                    return;
                case "_lastUpdated":
                    if (!NoModifier(key, modifier)) return;
                    AddClause(key, value, new SearchClause(name, SearchParamType.Date, ParseDates(name, value)));
                    return;
            }

            if (!SearchParameterRegistry.TryGet(resourceType, name, out var definition))
            {
                Ignore($"Unknown search parameter '{key}' for {resourceType}.", "parameter");
                return;
            }

            var clause = definition.Type switch
            {
                SearchParamType.Token => ParseToken(key, definition, modifier, value),
                SearchParamType.Reference => ParseReference(key, definition, modifier, value),
                SearchParamType.Date => modifier is null
                    ? new SearchClause(name, SearchParamType.Date, ParseDates(name, value))
                    : Unsupported(key, modifier),
                _ => Unsupported(key, modifier ?? ""),
            };
            if (clause is not null) AddClause(key, value, clause);
        }

        private void AddClause(string key, string value, SearchClause clause)
        {
            _clauses.Add(clause);
            _effective.Add(new(key, value));
        }

        private SearchClause? ParseToken(string key, SearchParameterDefinition definition, string? modifier, string value) =>
            modifier switch
            {
                null => new SearchClause(definition.Name, SearchParamType.Token, ParseTokens(definition.Name, value)),
                "not" => new SearchClause(definition.Name, SearchParamType.Token, ParseTokens(definition.Name, value), Negate: true),
                _ => Unsupported(key, modifier),
            };

        private SearchClause? ParseReference(string key, SearchParameterDefinition definition, string? modifier, string value)
        {
            if (modifier == "identifier")
                return new SearchClause(definition.Name, SearchParamType.Token, ParseTokens(definition.Name, value));
            if (modifier is not null && !definition.TargetTypes.Contains(modifier, StringComparer.Ordinal))
                return Unsupported(key, modifier);

            var values = new List<SearchValue>();
            foreach (var item in SplitOr(definition.Name, value))
            {
                var text = Unescape(item);
                if (text.Contains('/', StringComparison.Ordinal))
                {
                    if (!FhirReferences.TryNormalize(text, out var type, out var typeAndId) || (modifier is not null && type != modifier))
                        throw Malformed(definition.Name, text, modifier is null
                            ? "expected 'Type/id', an id, or an absolute URL ending in Type/id"
                            : $"expected an id or '{modifier}/id'");
                    values.Add(new SearchValue(Value: typeAndId));
                }
                else if (!FhirReferences.IsId(text))
                    throw Malformed(definition.Name, text, "not a valid resource id");
                else
                    values.Add(modifier is null ? new SearchValue(Value: text, MatchIdOnly: true) : new SearchValue(Value: $"{modifier}/{text}"));
            }
            return new SearchClause(definition.Name, SearchParamType.Reference, values);
        }

        private static List<SearchValue> ParseTokens(string name, string value)
        {
            var values = new List<SearchValue>();
            foreach (var item in SplitOr(name, value))
            {
                var bar = IndexOfUnescaped(item, '|');
                if (bar < 0)
                {
                    values.Add(new SearchValue(Value: Unescape(item)));
                    continue;
                }
                var system = Unescape(item[..bar]);
                var code = Unescape(item[(bar + 1)..]);
                if (system.Length == 0 && code.Length == 0) throw Malformed(name, item, "neither a system nor a code");
                values.Add(system.Length == 0
                    ? new SearchValue(Value: code, SystemIsEmpty: true)
                    : new SearchValue(System: system, Value: code.Length == 0 ? null : code));
            }
            return values;
        }

        private static List<SearchValue> ParseIds(string name, string value)
        {
            var values = new List<SearchValue>();
            foreach (var item in SplitOr(name, value))
            {
                var id = Unescape(item);
                if (!FhirReferences.IsId(id)) throw Malformed(name, id, "not a valid resource id");
                values.Add(new SearchValue(Value: id));
            }
            return values;
        }

        private static List<SearchValue> ParseDates(string name, string value)
        {
            var values = new List<SearchValue>();
            foreach (var item in SplitOr(name, value))
            {
                var text = Unescape(item);
                var prefix = DatePrefix.Eq;
                var dateText = text.AsSpan();
                if (text.Length >= 2 && char.IsAsciiLetter(text[0]))
                {
                    prefix = text[..2] switch
                    {
                        "eq" => DatePrefix.Eq,
                        "ne" => DatePrefix.Ne,
                        "gt" => DatePrefix.Gt,
                        "lt" => DatePrefix.Lt,
                        "ge" => DatePrefix.Ge,
                        "le" => DatePrefix.Le,
                        _ => throw Malformed(name, text, $"prefix '{text[..2]}' is not supported (use eq, ne, gt, lt, ge or le)"),
                    };
                    dateText = dateText[2..];
                }
                // A '+' of a UTC offset arrives as ' ' when the client did not percent-encode it.
                var normalized = dateText.Contains(' ') ? dateText.ToString().Replace(' ', '+') : null;
                if (!FhirDateRange.TryParse(normalized ?? dateText, out var low, out var high))
                    throw Malformed(name, text, "expected yyyy, yyyy-MM, yyyy-MM-dd or yyyy-MM-ddThh:mm[:ss[.fff]][Z|+hh:mm], optionally after a prefix");
                values.Add(new SearchValue(Prefix: prefix, Low: low, High: high));
            }
            return values;
        }

        private void AcceptSummary(string key, string value)
        {
            switch (value)
            {
                case "count":
                    _summaryCount = true;
                    _effective.Add(new(key, value));
                    break;
                case "false":
                    _effective.Add(new(key, value));
                    break;
                case "":
                    throw Malformed(key, value, "empty value");
                default:
                    Ignore($"'_summary={value}' is not supported (only _summary=count).", "parameter");
                    break;
            }
        }

        private void AcceptSort(string key, string value)
        {
            var accepted = new List<string>();
            foreach (var item in SplitOr(key, value))
            {
                var descending = item.StartsWith('-');
                var name = descending ? item[1..] : item;
                if (name.Length == 0) throw Malformed(key, item, "empty sort key");
                var sortable = name == "_lastUpdated"
                    || (SearchParameterRegistry.TryGet(resourceType, name, out var definition) && definition.Type == SearchParamType.Date);
                if (!sortable)
                {
                    Ignore($"Sorting {resourceType} by '{name}' is not supported in _sort (use _lastUpdated or a date parameter).", "sort key");
                    continue;
                }
                _sort.Add(new SortSpec(name, descending));
                accepted.Add(item);
            }
            if (accepted.Count > 0) _effective.Add(new(key, string.Join(',', accepted)));
        }

        private int ParseCount(string value)
        {
            var count = ParseNonNegative("_count", value, int.MaxValue);
            if (count <= MaxCount) return (int)count;
            _warnings.Add($"_count={count} exceeds the maximum page size; {MaxCount} is used.");
            return MaxCount;
        }

        private static long ParseNonNegative(string name, string value, long max)
        {
            if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number > max)
                throw Malformed(name, value, "expected a non-negative integer");
            return number;
        }

        /// <summary>True when there is no modifier; otherwise reports the modifier as unsupported.</summary>
        private bool NoModifier(string key, string? modifier)
        {
            if (modifier is null) return true;
            Unsupported(key, modifier);
            return false;
        }

        private void Once(string name)
        {
            if (!_singletons.Add(name)) throw new BadRequestException($"Search parameter '{name}' may be given only once.");
        }

        private SearchClause? Unsupported(string key, string modifier)
        {
            Ignore($"Modifier ':{modifier}' is not supported on search parameter '{key}'.", "parameter");
            return null;
        }

        /// <summary>Lenient: a warning saying what was ignored. Strict: a 400 naming the problem.</summary>
        private void Ignore(string problem, string ignoredPart)
        {
            if (strict) throw new BadRequestException(problem);
            _warnings.Add($"{problem} The {ignoredPart} was ignored.");
        }
    }

    private static BadRequestException Malformed(string name, string value, string reason) =>
        new($"Invalid value '{value}' for search parameter '{name}': {reason}.");

    /// <summary>Splits on unescaped commas, keeping escapes; every item must be non-empty.</summary>
    private static List<string> SplitOr(string name, string value)
    {
        var items = new List<string>();
        var start = 0;
        for (var i = 0; i <= value.Length; i++)
        {
            if (i < value.Length && value[i] == '\\') { i++; continue; }
            if (i < value.Length && value[i] != ',') continue;
            if (i == start) throw Malformed(name, value, "empty value");
            items.Add(value[start..i]);
            start = i + 1;
        }
        return items;
    }

    private static int IndexOfUnescaped(string text, char separator)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\') i++;
            else if (text[i] == separator) return i;
        }
        return -1;
    }

    private static string Unescape(string text)
    {
        if (!text.Contains('\\', StringComparison.Ordinal)) return text;
        var builder = new System.Text.StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\' && i + 1 < text.Length && text[i + 1] is ',' or '|' or '$' or '\\') i++;
            builder.Append(text[i]);
        }
        return builder.ToString();
    }
}
