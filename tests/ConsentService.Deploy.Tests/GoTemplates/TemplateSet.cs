using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ConsentService.Deploy.Tests.Yaml;

namespace ConsentService.Deploy.Tests.GoTemplates;

/// <summary>A set of Go templates that may <c>include</c> each other, with the functions Helm charts use
/// (text/template built-ins and the Sprig/Helm functions below). Anything else is an error, not a silent blank.</summary>
public sealed class TemplateSet
{
    private readonly Dictionary<string, IReadOnlyList<Node>> _templates = new(StringComparer.Ordinal);

    /// <summary>Adds a file: it becomes a template of that name, and its <c>define</c>s become templates too.</summary>
    public void Add(string name, string source)
    {
        var defines = new Dictionary<string, IReadOnlyList<Node>>(StringComparer.Ordinal);
        var nodes = Parser.Parse(name, source, defines);
        _templates[name] = nodes;
        foreach (var (defined, body) in defines)
        {
            _templates[defined] = body;
        }
    }

    public bool Contains(string name) => _templates.ContainsKey(name);

    public string Execute(string name, object? data)
    {
        if (!_templates.TryGetValue(name, out var nodes))
        {
            throw new TemplateException($"no template \"{name}\"");
        }
        var output = new StringBuilder();
        new Execution(this, data, name).Walk(nodes, data, output);
        return output.ToString();
    }

    private sealed class Execution(TemplateSet set, object? root, string name)
    {
        private readonly List<(string Name, object? Value)> _variables = [("$", root)];
        private int _depth;

        public void Walk(IReadOnlyList<Node> nodes, object? dot, StringBuilder output)
        {
            var mark = _variables.Count;
            foreach (var node in nodes)
            {
                switch (node)
                {
                    case TextNode text:
                        output.Append(text.Text);
                        break;
                    case ActionNode action:
                    {
                        var value = EvaluatePipeline(action.Pipe, dot);
                        if (action.Pipe.Variables.Count == 0)
                        {
                            output.Append(GoValues.Print(value));
                        }
                        break;
                    }
                    case IfNode branch:
                        WalkScoped(GoValues.IsTrue(EvaluatePipeline(branch.Condition, dot)) ? branch.Then : branch.Else, dot, output);
                        break;
                    case WithNode with:
                    {
                        var scope = _variables.Count;
                        var value = EvaluatePipeline(with.Value, dot);
                        if (GoValues.IsTrue(value))
                        {
                            Walk(with.Then, value, output);
                        }
                        else if (with.Else is not null)
                        {
                            Walk(with.Else, dot, output);
                        }
                        _variables.RemoveRange(scope, _variables.Count - scope);
                        break;
                    }
                    case RangeNode range:
                        WalkRange(range, dot, output);
                        break;
                    default:
                        throw new TemplateException($"{name}: unknown node {node}");
                }
            }
            _variables.RemoveRange(mark, _variables.Count - mark);
        }

        private void WalkScoped(IReadOnlyList<Node>? nodes, object? dot, StringBuilder output)
        {
            if (nodes is not null)
            {
                Walk(nodes, dot, output);
            }
        }

        private void WalkRange(RangeNode range, object? dot, StringBuilder output)
        {
            var scope = _variables.Count;
            var pipe = range.Value;
            var value = EvaluatePipeline(pipe with { Variables = [] }, dot);
            var items = value switch
            {
                null => [],
                IList<object?> list => list.Select((v, i) => ((object?)(long)i, v)).ToList(),
                IDictionary<string, object?> map => map.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => ((object?)p.Key, p.Value)).ToList(),
                long count => Enumerable.Range(0, (int)count).Select(i => ((object?)(long)i, (object?)(long)i)).ToList(),
                _ => throw new TemplateException($"{name}: range can't iterate over {GoValues.Print(value)}"),
            };
            foreach (var (key, element) in items)
            {
                var iteration = _variables.Count;
                if (pipe.Variables.Count == 1)
                {
                    _variables.Add((pipe.Variables[0], element));
                }
                else if (pipe.Variables.Count == 2)
                {
                    _variables.Add((pipe.Variables[0], key));
                    _variables.Add((pipe.Variables[1], element));
                }
                Walk(range.Body, element, output);
                _variables.RemoveRange(iteration, _variables.Count - iteration);
            }
            if (items.Count == 0 && range.Else is not null)
            {
                Walk(range.Else, dot, output);
            }
            _variables.RemoveRange(scope, _variables.Count - scope);
        }

        private object? EvaluatePipeline(Pipeline pipe, object? dot)
        {
            object? value = null;
            for (var i = 0; i < pipe.Commands.Count; i++)
            {
                value = EvaluateCommand(pipe.Commands[i], dot, i > 0, value);
            }
            if (pipe.Variables.Count > 0)
            {
                if (pipe.IsAssignment)
                {
                    var index = _variables.FindLastIndex(v => v.Name == pipe.Variables[0]);
                    if (index < 0)
                    {
                        throw new TemplateException($"{name}: undefined variable {pipe.Variables[0]}");
                    }
                    _variables[index] = (pipe.Variables[0], value);
                }
                else
                {
                    _variables.Add((pipe.Variables[0], value));
                }
            }
            return value;
        }

        private object? EvaluateCommand(Command command, object? dot, bool piped, object? input)
        {
            var first = command.Operands[0];
            var rest = command.Operands.Skip(1).ToList();
            if (first is FunctionOperand function)
            {
                if (function.Name is "and" or "or")
                {
                    return ShortCircuit(function.Name, rest, dot, piped, input);
                }
                var args = rest.Select(o => EvaluateOperand(o, dot)).ToList();
                if (piped)
                {
                    args.Add(input);
                }
                return Call(function.Name, args);
            }
            var value = EvaluateOperand(first, dot);
            if (value is Method method)
            {
                var args = rest.Select(o => EvaluateOperand(o, dot)).ToList();
                if (piped)
                {
                    args.Add(input);
                }
                return method.Invoke([.. args]);
            }
            if (rest.Count > 0 || piped)
            {
                throw new TemplateException($"{name}: can't give argument to non-function {first}");
            }
            return value;
        }

        private object? ShortCircuit(string function, List<Operand> operands, object? dot, bool piped, object? input)
        {
            var values = operands.Select(o => (Func<object?>)(() => EvaluateOperand(o, dot))).ToList();
            if (piped)
            {
                values.Add(() => input);
            }
            if (values.Count == 0)
            {
                throw new TemplateException($"{name}: {function} needs arguments");
            }
            object? last = null;
            foreach (var next in values)
            {
                last = next();
                if (GoValues.IsTrue(last) == (function == "or"))
                {
                    return last;
                }
            }
            return last;
        }

        private object? EvaluateOperand(Operand operand, object? dot) => operand switch
        {
            LiteralOperand literal => literal.Value,
            SubPipelineOperand sub => EvaluatePipeline(sub.Pipe, dot),
            FieldOperand field => ResolveField(field, dot),
            FunctionOperand function => Call(function.Name, []),
            _ => throw new TemplateException($"{name}: unknown operand {operand}"),
        };

        private object? ResolveField(FieldOperand field, object? dot)
        {
            var value = dot;
            if (field.Variable is not null)
            {
                var index = _variables.FindLastIndex(v => v.Name == field.Variable);
                if (index < 0)
                {
                    throw new TemplateException($"{name}: undefined variable {field.Variable}");
                }
                value = _variables[index].Value;
            }
            foreach (var key in field.Fields)
            {
                value = value switch
                {
                    IDictionary<string, object?> map => map.TryGetValue(key, out var found) ? found : null,
                    null => throw new TemplateException($"{name}: nil pointer evaluating interface {{}}.{key}"),
                    _ => throw new TemplateException($"{name}: can't evaluate field {key} in type {GoValues.TypeName(value)}"),
                };
            }
            return value;
        }

        private object? Call(string function, List<object?> args)
        {
            switch (function)
            {
                case "include":
                {
                    Arity(function, args, 2);
                    if (++_depth > 100)
                    {
                        throw new TemplateException($"{name}: include nested too deeply");
                    }
                    var nested = new Execution(set, args[1], name) { _depth = _depth };
                    var template = Text(args[0]);
                    if (!set._templates.TryGetValue(template, out var nodes))
                    {
                        throw new TemplateException($"{name}: no template \"{template}\" associated with template \"gotpl\"");
                    }
                    var output = new StringBuilder();
                    nested.Walk(nodes, args[1], output);
                    _depth--;
                    return output.ToString();
                }
                case "not":
                    Arity(function, args, 1);
                    return !GoValues.IsTrue(args[0]);
                case "eq":
                    if (args.Count < 2)
                    {
                        throw new TemplateException($"{name}: eq needs two arguments");
                    }
                    return args.Skip(1).Any(b => GoValues.BasicEquals(args[0], b));
                case "ne":
                    Arity(function, args, 2);
                    return !GoValues.BasicEquals(args[0], args[1]);
                case "print":
                    return Sprint(args);
                case "printf":
                    return Sprintf(Text(args[0]), args.Skip(1).ToList());
                case "quote":
                    return string.Join(' ', args.Where(a => a is not null).Select(a => GoValues.GoQuote(GoValues.Print(a))));
                case "default":
                    if (args.Count is < 1 or > 2)
                    {
                        throw new TemplateException($"{name}: default takes one or two arguments");
                    }
                    return args.Count == 2 && GoValues.IsTrue(args[1]) ? args[1] : args[0];
                case "required":
                    Arity(function, args, 2);
                    if (args[1] is null || args[1] is string { Length: 0 })
                    {
                        throw new TemplateException($"{name}: execution error: {Text(args[0])}");
                    }
                    return args[1];
                case "fail":
                    Arity(function, args, 1);
                    throw new TemplateException($"{name}: execution error: {Text(args[0])}");
                case "toYaml":
                    Arity(function, args, 1);
                    return YamlEmitter.Emit(args[0]).TrimEnd('\n');
                case "indent":
                    Arity(function, args, 2);
                    return Indent((int)GoValues.ToInteger(args[0]), Text(args[1]));
                case "nindent":
                    Arity(function, args, 2);
                    return "\n" + Indent((int)GoValues.ToInteger(args[0]), Text(args[1]));
                case "trunc":
                {
                    Arity(function, args, 2);
                    var length = GoValues.ToInteger(args[0]);
                    var s = Text(args[1]);
                    return length >= 0 ? (s.Length > length ? s[..(int)length] : s) : (s.Length > -length ? s[(s.Length + (int)length)..] : s);
                }
                case "trimSuffix":
                {
                    Arity(function, args, 2);
                    var suffix = Text(args[0]);
                    var s = Text(args[1]);
                    return suffix.Length > 0 && s.EndsWith(suffix, StringComparison.Ordinal) ? s[..^suffix.Length] : s;
                }
                case "contains":
                    Arity(function, args, 2);
                    return Text(args[1]).Contains(Text(args[0]), StringComparison.Ordinal);
                case "replace":
                    Arity(function, args, 3);
                    return Text(args[2]).Replace(Text(args[0]), Text(args[1]), StringComparison.Ordinal);
                case "sha256sum":
                    Arity(function, args, 1);
                    return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Text(args[0]))));
                default:
                    throw new TemplateException($"{name}: function \"{function}\" not defined (this renderer supports only what the chart uses)");
            }
        }

        private void Arity(string function, List<object?> args, int count)
        {
            if (args.Count != count)
            {
                throw new TemplateException($"{name}: wrong number of args for {function}: want {count} got {args.Count}");
            }
        }

        /// <summary>Sprig functions take strings: non-strings are printed first (as Sprig's strval does).</summary>
        private static string Text(object? value) => value as string ?? GoValues.Print(value);

        private static string Indent(int spaces, string s)
        {
            var pad = new string(' ', spaces);
            return pad + s.Replace("\n", "\n" + pad, StringComparison.Ordinal);
        }

        /// <summary><c>fmt.Sprint</c>: a space between operands when neither side is a string.</summary>
        private static string Sprint(List<object?> args)
        {
            var sb = new StringBuilder();
            for (var i = 0; i < args.Count; i++)
            {
                if (i > 0 && args[i] is not string && args[i - 1] is not string)
                {
                    sb.Append(' ');
                }
                sb.Append(GoValues.Print(args[i]));
            }
            return sb.ToString();
        }

        private string Sprintf(string format, List<object?> args)
        {
            var sb = new StringBuilder();
            var next = 0;
            for (var i = 0; i < format.Length; i++)
            {
                if (format[i] != '%')
                {
                    sb.Append(format[i]);
                    continue;
                }
                var verb = ++i < format.Length ? format[i] : throw new TemplateException($"{name}: printf format ends with %");
                if (verb == '%')
                {
                    sb.Append('%');
                    continue;
                }
                if (next >= args.Count)
                {
                    sb.Append("%!").Append(verb).Append("(MISSING)");
                    continue;
                }
                var arg = args[next++];
                sb.Append(verb switch
                {
                    's' or 'v' => GoValues.Print(arg),
                    'q' => GoValues.GoQuote(GoValues.Print(arg)),
                    'd' when arg is long n => n.ToString(CultureInfo.InvariantCulture),
                    'd' => $"%!d({GoValues.TypeName(arg)}={GoValues.Print(arg)})",
                    _ => throw new TemplateException($"{name}: printf verb %{verb} is not supported"),
                });
            }
            if (next < args.Count)
            {
                sb.Append("%!(EXTRA ").Append(string.Join(", ", args.Skip(next).Select(a => $"{GoValues.TypeName(a)}={GoValues.Print(a)}"))).Append(')');
            }
            return sb.ToString();
        }
    }
}
