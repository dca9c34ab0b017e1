namespace ConsentService.Deploy.Tests.GoTemplates;

/// <summary>The parse tree of a Go text/template: the subset the chart's templates use, nothing more.</summary>
internal abstract record Node;

internal sealed record TextNode(string Text) : Node;

/// <summary><c>{{ pipeline }}</c>: prints the value unless the pipeline declares or assigns a variable.</summary>
internal sealed record ActionNode(Pipeline Pipe) : Node;

internal sealed record IfNode(Pipeline Condition, IReadOnlyList<Node> Then, IReadOnlyList<Node>? Else) : Node;

internal sealed record WithNode(Pipeline Value, IReadOnlyList<Node> Then, IReadOnlyList<Node>? Else) : Node;

internal sealed record RangeNode(Pipeline Value, IReadOnlyList<Node> Body, IReadOnlyList<Node>? Else) : Node;

/// <summary><c>$a, $b := cmd | cmd</c>; <see cref="IsAssignment"/> for <c>$a = ...</c>.</summary>
internal sealed record Pipeline(IReadOnlyList<string> Variables, bool IsAssignment, IReadOnlyList<Command> Commands, string Source);

internal sealed record Command(IReadOnlyList<Operand> Operands);

internal abstract record Operand;

/// <summary><c>.A.B</c> (Variable null: from dot), <c>$</c>, <c>$x.A</c>.</summary>
internal sealed record FieldOperand(string? Variable, IReadOnlyList<string> Fields) : Operand;

/// <summary>A function name: <c>include</c>, <c>quote</c>, ...</summary>
internal sealed record FunctionOperand(string Name) : Operand;

internal sealed record LiteralOperand(object? Value) : Operand;

internal sealed record SubPipelineOperand(Pipeline Pipe) : Operand;

public sealed class TemplateException(string message) : Exception(message);
