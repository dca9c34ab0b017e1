using System.Globalization;
using System.Text;

namespace ConsentService.Deploy.Tests.GoTemplates;

/// <summary>Parses Go template text into a tree and collects its <c>define</c>d templates.
/// Follows text/template: <c>{{-</c> and <c>-}}</c> (with a space beside the dash) trim all adjacent white space,
/// <c>{{/* */}}</c> is a comment, and <c>else if</c> chains share one <c>end</c>.</summary>
internal sealed class Parser
{
    private readonly string _name;
    private readonly List<Item> _items;
    private int _position;
    private readonly Dictionary<string, IReadOnlyList<Node>> _defines;

    private Parser(string name, List<Item> items, Dictionary<string, IReadOnlyList<Node>> defines)
    {
        _name = name;
        _items = items;
        _defines = defines;
    }

    /// <summary>Parses <paramref name="source"/>; its <c>define</c> blocks are added to <paramref name="defines"/>.</summary>
    public static IReadOnlyList<Node> Parse(string name, string source, Dictionary<string, IReadOnlyList<Node>> defines)
    {
        var parser = new Parser(name, Lex(name, source), defines);
        var nodes = parser.ParseList(out var terminator);
        if (terminator is not null)
        {
            throw parser.Error($"unexpected {{{{{terminator.Keyword}}}}}");
        }
        return nodes;
    }

    private sealed record Item(string? Text, List<Token>? Tokens, int Line)
    {
        public string? Keyword => Tokens is { Count: > 0 } t && t[0].Kind == TokenKind.Identifier ? t[0].Text : null;
    }

    private enum TokenKind { Identifier, Field, Variable, String, Number, LeftParen, RightParen, Pipe, Declare, Assign, Comma }

    private sealed record Token(TokenKind Kind, string Text, object? Value = null);

    private static List<Item> Lex(string name, string source)
    {
        var items = new List<Item>();
        var text = new StringBuilder();
        var trimNext = false;
        var i = 0;
        var line = 1;
        while (i < source.Length)
        {
            var open = source.IndexOf("{{", i, StringComparison.Ordinal);
            if (open < 0)
            {
                text.Append(source, i, source.Length - i);
                break;
            }
            text.Append(source, i, open - i);
            var trimLeft = open + 3 < source.Length && source[open + 2] == '-' && IsSpace(source[open + 3]);
            var start = open + (trimLeft ? 3 : 2);
            var (end, trimRight) = FindClose(name, source, start);
            var inner = source.Substring(start, end - start).Trim();
            var chunk = text.ToString();
            if (trimNext)
            {
                chunk = chunk.TrimStart(' ', '\t', '\r', '\n');
            }
            if (trimLeft)
            {
                chunk = chunk.TrimEnd(' ', '\t', '\r', '\n');
            }
            if (chunk.Length > 0)
            {
                items.Add(new Item(chunk, null, line));
            }
            line += CountLines(source, i, open);
            text.Clear();
            if (!(inner.StartsWith("/*", StringComparison.Ordinal) && inner.EndsWith("*/", StringComparison.Ordinal)))
            {
                items.Add(new Item(null, Tokenize(name, line, inner), line));
            }
            var after = end + (trimRight ? 4 : 2);
            line += CountLines(source, open, after);
            trimNext = trimRight;
            i = after;
        }
        var rest = text.ToString();
        if (trimNext)
        {
            rest = rest.TrimStart(' ', '\t', '\r', '\n');
        }
        if (rest.Length > 0)
        {
            items.Add(new Item(rest, null, line));
        }
        return items;
    }

    private static int CountLines(string s, int from, int to)
    {
        var n = 0;
        for (var k = from; k < to && k < s.Length; k++)
        {
            if (s[k] == '\n')
            {
                n++;
            }
        }
        return n;
    }

    private static bool IsSpace(char c) => c is ' ' or '\t' or '\r' or '\n';

    /// <summary>Index of the closing <c>}}</c> (or of the space before <c>-}}</c>), skipping strings and comments.</summary>
    private static (int End, bool TrimRight) FindClose(string name, string s, int i)
    {
        while (i < s.Length)
        {
            var c = s[i];
            if (c is '"' or '`')
            {
                i = SkipString(name, s, i) + 1;
                continue;
            }
            if (c == '/' && i + 1 < s.Length && s[i + 1] == '*')
            {
                var close = s.IndexOf("*/", i + 2, StringComparison.Ordinal);
                if (close < 0)
                {
                    throw new TemplateException($"{name}: unclosed comment");
                }
                i = close + 2;
                continue;
            }
            if (IsSpace(c) && i + 3 < s.Length && s[i + 1] == '-' && s[i + 2] == '}' && s[i + 3] == '}')
            {
                return (i, true);
            }
            if (c == '}' && i + 1 < s.Length && s[i + 1] == '}')
            {
                return (i, false);
            }
            i++;
        }
        throw new TemplateException($"{name}: unclosed action");
    }

    private static int SkipString(string name, string s, int i)
    {
        var quote = s[i];
        for (var k = i + 1; k < s.Length; k++)
        {
            if (quote == '"' && s[k] == '\\')
            {
                k++;
                continue;
            }
            if (s[k] == quote)
            {
                return k;
            }
        }
        throw new TemplateException($"{name}: unterminated string");
    }

    private static List<Token> Tokenize(string name, int line, string s)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < s.Length)
        {
            var c = s[i];
            if (IsSpace(c))
            {
                i++;
            }
            else if (c == '(') { tokens.Add(new Token(TokenKind.LeftParen, "(")); i++; }
            else if (c == ')') { tokens.Add(new Token(TokenKind.RightParen, ")")); i++; }
            else if (c == '|') { tokens.Add(new Token(TokenKind.Pipe, "|")); i++; }
            else if (c == ',') { tokens.Add(new Token(TokenKind.Comma, ",")); i++; }
            else if (c == ':' && i + 1 < s.Length && s[i + 1] == '=') { tokens.Add(new Token(TokenKind.Declare, ":=")); i += 2; }
            else if (c == '=') { tokens.Add(new Token(TokenKind.Assign, "=")); i++; }
            else if (c is '"' or '`')
            {
                var end = SkipString(name, s, i);
                var raw = s.Substring(i, end - i + 1);
                tokens.Add(new Token(TokenKind.String, raw, c == '`' ? raw[1..^1] : Unquote(raw)));
                i = end + 1;
            }
            else if (c == '.' || c == '$')
            {
                var start = i;
                i++;
                while (i < s.Length && (char.IsLetterOrDigit(s[i]) || s[i] is '_' or '.'))
                {
                    i++;
                }
                var word = s[start..i];
                tokens.Add(new Token(c == '.' ? TokenKind.Field : TokenKind.Variable, word));
            }
            else if (char.IsDigit(c) || (c == '-' && i + 1 < s.Length && char.IsDigit(s[i + 1])))
            {
                var start = i;
                i++;
                while (i < s.Length && (char.IsLetterOrDigit(s[i]) || s[i] is '.' or '_'))
                {
                    i++;
                }
                var word = s[start..i];
                object value = long.TryParse(word, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
                    ? n
                    : double.Parse(word, NumberStyles.Float, CultureInfo.InvariantCulture);
                tokens.Add(new Token(TokenKind.Number, word, value));
            }
            else if (char.IsLetter(c) || c == '_')
            {
                var start = i;
                while (i < s.Length && (char.IsLetterOrDigit(s[i]) || s[i] == '_'))
                {
                    i++;
                }
                tokens.Add(new Token(TokenKind.Identifier, s[start..i]));
            }
            else
            {
                throw new TemplateException($"{name}:{line}: unexpected character '{c}' in action {{{{{s}}}}}");
            }
        }
        return tokens;
    }

    private static string Unquote(string raw)
    {
        var sb = new StringBuilder();
        for (var k = 1; k < raw.Length - 1; k++)
        {
            var c = raw[k];
            if (c != '\\')
            {
                sb.Append(c);
                continue;
            }
            k++;
            sb.Append(raw[k] switch { 'n' => '\n', 't' => '\t', 'r' => '\r', '"' => '"', '\\' => '\\', var other => throw new TemplateException($"unsupported escape \\{other}") });
        }
        return sb.ToString();
    }

    private TemplateException Error(string message) =>
        new($"{_name}:{(_position > 0 && _position <= _items.Count ? _items[_position - 1].Line : 0)}: {message}");

    /// <summary>Parses items until <c>end</c> or <c>else</c> (returned in <paramref name="terminator"/>) or the end of input.</summary>
    private List<Node> ParseList(out Item? terminator)
    {
        var nodes = new List<Node>();
        while (_position < _items.Count)
        {
            var item = _items[_position++];
            if (item.Text is not null)
            {
                nodes.Add(new TextNode(item.Text));
                continue;
            }
            var tokens = item.Tokens!;
            switch (item.Keyword)
            {
                case "end":
                case "else":
                    terminator = item;
                    return nodes;
                case "if":
                    nodes.Add(ParseIf(tokens[1..]));
                    break;
                case "with":
                {
                    var (body, otherwise) = ParseBody("with", allowElseIf: false);
                    nodes.Add(new WithNode(ParsePipeline(tokens[1..]), body, otherwise));
                    break;
                }
                case "range":
                {
                    var (body, otherwise) = ParseBody("range", allowElseIf: false);
                    nodes.Add(new RangeNode(ParsePipeline(tokens[1..]), body, otherwise));
                    break;
                }
                case "define":
                {
                    if (tokens.Count != 2 || tokens[1].Kind != TokenKind.String)
                    {
                        throw Error("define needs one quoted name");
                    }
                    var body = ParseList(out var end);
                    if (end?.Keyword != "end")
                    {
                        throw Error($"define \"{tokens[1].Value}\" is not closed by {{{{end}}}}");
                    }
                    _defines[(string)tokens[1].Value!] = body;
                    break;
                }
                case "template" or "block" or "break" or "continue":
                    throw Error($"'{item.Keyword}' is not supported by this renderer; use include");
                default:
                    nodes.Add(new ActionNode(ParsePipeline(tokens)));
                    break;
            }
        }
        terminator = null;
        return nodes;
    }

    private IfNode ParseIf(List<Token> condition)
    {
        var pipe = ParsePipeline(condition);
        var then = ParseList(out var terminator);
        switch (terminator)
        {
            case null:
                throw Error("if is not closed by {{end}}");
            case { Keyword: "end" }:
                return new IfNode(pipe, then, null);
        }
        var rest = terminator.Tokens!;
        if (rest.Count > 1)
        {
            if (rest[1] is not { Kind: TokenKind.Identifier, Text: "if" })
            {
                throw Error("only 'else if' may follow else");
            }
            return new IfNode(pipe, then, [ParseIf(rest[2..])]);
        }
        var otherwise = ParseList(out var end);
        if (end?.Keyword != "end" || end.Tokens!.Count != 1)
        {
            throw Error("else is not closed by {{end}}");
        }
        return new IfNode(pipe, then, otherwise);
    }

    private (List<Node> Body, List<Node>? Else) ParseBody(string keyword, bool allowElseIf)
    {
        var body = ParseList(out var terminator);
        if (terminator is null)
        {
            throw Error($"{keyword} is not closed by {{{{end}}}}");
        }
        if (terminator.Keyword == "end")
        {
            return (body, null);
        }
        if (terminator.Tokens!.Count > 1 && !allowElseIf)
        {
            throw Error($"{keyword} allows only a plain else");
        }
        var otherwise = ParseList(out var end);
        if (end?.Keyword != "end")
        {
            throw Error($"{keyword} else is not closed by {{{{end}}}}");
        }
        return (body, otherwise);
    }

    private Pipeline ParsePipeline(List<Token> tokens)
    {
        var source = string.Join(' ', tokens.Select(t => t.Text));
        if (tokens.Count == 0)
        {
            throw Error("missing value in action");
        }
        var variables = new List<string>();
        var isAssignment = false;
        var declaration = tokens.FindIndex(t => t.Kind is TokenKind.Declare or TokenKind.Assign);
        if (declaration > 0 && tokens.Take(declaration).All(t => t.Kind is TokenKind.Variable or TokenKind.Comma))
        {
            variables.AddRange(tokens.Take(declaration).Where(t => t.Kind == TokenKind.Variable).Select(t => t.Text));
            isAssignment = tokens[declaration].Kind == TokenKind.Assign;
            tokens = tokens[(declaration + 1)..];
        }
        var position = 0;
        var commands = ParseCommands(tokens, ref position, closeParen: false);
        return new Pipeline(variables, isAssignment, commands, source);
    }

    private List<Command> ParseCommands(List<Token> tokens, ref int position, bool closeParen)
    {
        var commands = new List<Command>();
        var operands = new List<Operand>();
        while (position < tokens.Count)
        {
            var token = tokens[position++];
            switch (token.Kind)
            {
                case TokenKind.Pipe:
                    if (operands.Count == 0)
                    {
                        throw Error("missing command before |");
                    }
                    commands.Add(new Command(operands));
                    operands = [];
                    break;
                case TokenKind.RightParen:
                    if (!closeParen)
                    {
                        throw Error("unexpected )");
                    }
                    commands.Add(new Command(operands));
                    return commands;
                case TokenKind.LeftParen:
                    var inner = ParseCommands(tokens, ref position, closeParen: true);
                    operands.Add(new SubPipelineOperand(new Pipeline([], false, inner, "(...)")));
                    break;
                case TokenKind.String or TokenKind.Number:
                    operands.Add(new LiteralOperand(token.Value));
                    break;
                case TokenKind.Field:
                    operands.Add(new FieldOperand(null, token.Text == "." ? [] : token.Text[1..].Split('.')));
                    break;
                case TokenKind.Variable:
                {
                    var parts = token.Text.Split('.');
                    operands.Add(new FieldOperand(parts[0], parts[1..]));
                    break;
                }
                case TokenKind.Identifier:
                    operands.Add(token.Text switch
                    {
                        "true" => new LiteralOperand(true),
                        "false" => new LiteralOperand(false),
                        "nil" => new LiteralOperand(null),
                        _ => new FunctionOperand(token.Text),
                    });
                    break;
                default:
                    throw Error($"unexpected '{token.Text}'");
            }
        }
        if (closeParen)
        {
            throw Error("unclosed (");
        }
        if (operands.Count == 0)
        {
            throw Error("missing command after |");
        }
        commands.Add(new Command(operands));
        return commands;
    }
}
