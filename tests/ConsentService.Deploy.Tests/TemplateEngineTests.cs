using ConsentService.Deploy.Tests.GoTemplates;
using ConsentService.Deploy.Tests.Yaml;

namespace ConsentService.Deploy.Tests;

/// <summary>The renderer behaves as Go's text/template with Helm's functions on the constructs the chart uses;
/// each expectation here is what helm prints for the same template.</summary>
public sealed class TemplateEngineTests
{
    private static string Run(string template, string valuesYaml = "{}")
    {
        var set = new TemplateSet();
        set.Add("t", template);
        var values = YamlLoader.Load(valuesYaml, numbersAsFloat: true);
        return set.Execute("t", new Dictionary<string, object?> { ["Values"] = values });
    }

    [Theory]
    [InlineData("a\n  {{- \"b\" }}\nc", "ab\nc")]
    [InlineData("a\n{{ \"b\" -}}\n  c", "a\nbc")]
    [InlineData("a  {{- /* note */ -}}  b", "ab")]
    [InlineData("{{-3}}", "-3")]
    public void Trim_markers_eat_adjacent_white_space_only_with_a_space_beside_the_dash(string template, string expected) =>
        Assert.Equal(expected, Run(template));

    [Theory]
    [InlineData("x: 1", "one")]
    [InlineData("x: 2", "two")]
    [InlineData("x: 3", "other")]
    public void Else_if_chains_share_one_end(string values, string expected) =>
        Assert.Equal(expected, Run("{{ if eq .Values.x 1.0 }}one{{ else if eq .Values.x 2.0 }}two{{ else }}other{{ end }}", values));

    [Fact]
    public void With_moves_dot_and_falls_to_else_on_empty()
    {
        Assert.Equal("hi", Run("{{ with .Values.a }}{{ .b }}{{ else }}none{{ end }}", "a:\n  b: hi"));
        Assert.Equal("none", Run("{{ with .Values.a }}{{ .b }}{{ else }}none{{ end }}", "a: {}"));
    }

    [Fact]
    public void Range_over_a_map_is_in_key_order_and_over_nothing_takes_else()
    {
        Assert.Equal("a=1;b=2;", Run("{{ range $k, $v := .Values.m }}{{ $k }}={{ $v }};{{ end }}", "m:\n  b: 2\n  a: 1"));
        Assert.Equal("0:x 1:z ", Run("{{ range $i, $e := .Values.l }}{{ $i }}:{{ $e }} {{ end }}", "l: [x, z]"));
        Assert.Equal("0:x 1:true ", Run("{{ range $i, $e := .Values.l }}{{ $i }}:{{ $e }} {{ end }}", "l: [x, y]"));
        Assert.Equal("x|z|", Run("{{ range .Values.l }}{{ . }}|{{ end }}", "l: [x, z]"));
        Assert.Equal("empty", Run("{{ range .Values.missing }}x{{ else }}empty{{ end }}"));
    }

    [Fact]
    public void Variables_are_scoped_to_their_block_and_dollar_is_the_root()
    {
        Assert.Equal("outer inner outer", Run("{{ $x := \"outer\" }}{{ $x }} {{ if true }}{{ $x := \"inner\" }}{{ $x }}{{ end }} {{ $x }}"));
        Assert.Equal("v", Run("{{ with .Values.a }}{{ $.Values.top }}{{ end }}", "a: {b: 1}\ntop: v"));
        Assert.Equal("2", Run("{{ $n := 1 }}{{ $n = 2 }}{{ $n }}"));
    }

    [Fact]
    public void Include_renders_a_define_with_the_given_dot_and_nindent_places_it()
    {
        var set = new TemplateSet();
        set.Add("_h.tpl", "{{- define \"labels\" -}}\na: {{ .a }}\nb: {{ .b | quote }}\n{{- end }}");
        set.Add("t", "metadata:\n  labels:\n    {{- include \"labels\" .Values | nindent 4 }}\n");
        var output = set.Execute("t", new Dictionary<string, object?> { ["Values"] = new Dictionary<string, object?> { ["a"] = "x", ["b"] = 1.0 } });
        Assert.Equal("metadata:\n  labels:\n    a: x\n    b: \"1\"\n", output);
    }

    [Theory]
    [InlineData("{{ default \"d\" .Values.missing }}", "d")]
    [InlineData("{{ .Values.s | default \"d\" }}", "set")]
    [InlineData("{{ \"\" | default \"d\" }}", "d")]
    [InlineData("{{ printf \"%s-%s\" \"a\" .Values.s }}", "a-set")]
    [InlineData("{{ \"abcdef-\" | trunc 7 | trimSuffix \"-\" }}", "abcdef")]
    [InlineData("{{ \"abcdef\" | trunc -2 }}", "ef")]
    [InlineData("{{ \"1.0+build\" | replace \"+\" \"_\" }}", "1.0_build")]
    [InlineData("{{ contains \"consent\" \"my-consent-x\" }}", "true")]
    [InlineData("{{ .Values.n }} {{ .Values.big }} {{ .Values.f }}", "3 1e+06 0.5")]
    [InlineData("{{ .Values.n | quote }}", "\"3\"")]
    [InlineData("{{ \"a\\\"b\" | quote }}", "\"a\\\"b\"")]
    [InlineData("{{ and .Values.s .Values.n }} {{ or .Values.missing \"x\" }} {{ not .Values.s }}", "3 x false")]
    [InlineData("{{ ne .Values.s \"other\" }}", "true")]
    [InlineData("{{ print \"a\" \"/b\" }}", "a/b")]
    [InlineData("{{ \"a\\nb\" | indent 2 }}", "  a\n  b")]
    [InlineData("{{ .Values.missing }}", "")]
    public void Functions_print_what_helm_prints(string template, string expected) =>
        Assert.Equal(expected, Run(template, "s: set\nn: 3\nbig: 1000000\nf: 0.5"));

    [Fact]
    public void ToYaml_sorts_keys_keeps_lists_at_their_key_and_quotes_ambiguous_strings()
    {
        var output = Run("{{ toYaml .Values }}", "z: [a, b]\nb:\n  c: \"1\"\n  d: on-call\n  e: \"yes\"\n  f: 250m\na: 2\nm:\n  - k: v\n    j: w\n");
        Assert.Equal("a: 2\nb:\n  c: \"1\"\n  d: on-call\n  e: \"yes\"\n  f: 250m\nm:\n- j: w\n  k: v\nz:\n- a\n- b", output);
    }

    [Theory]
    [InlineData("{{ .Values.a.b.c }}", "nil pointer evaluating interface {}.c")]
    [InlineData("{{ eq .Values.s 3 }}", "incompatible types for comparison")]
    [InlineData("{{ lookup \"v1\" \"Secret\" \"ns\" \"x\" }}", "function \"lookup\" not defined")]
    [InlineData("{{ required \"x is required\" .Values.missing }}", "x is required")]
    [InlineData("{{ include \"nothing\" . }}", "no template \"nothing\"")]
    [InlineData("{{ if true }}unclosed", "not closed")]
    [InlineData("{{ template \"x\" . }}", "not supported")]
    public void Mistakes_fail_loudly_instead_of_rendering_blanks(string template, string message)
    {
        var error = Assert.Throws<TemplateException>(() => Run(template, "s: set\na: {}"));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("on", true)]
    [InlineData("\"on\"", "on")]
    [InlineData("8080", 8080L)]
    [InlineData("0.5", 0.5)]
    [InlineData("~", null)]
    [InlineData("10Gi", "10Gi")]
    public void Yaml_scalars_resolve_as_kubernetes_reads_them(string yaml, object? expected) =>
        Assert.Equal(expected, YamlLoader.Load("v: " + yaml) is IDictionary<string, object?> map ? map["v"] : "no map");
}
