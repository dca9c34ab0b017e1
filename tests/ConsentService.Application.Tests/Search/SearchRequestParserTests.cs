using ConsentService.Application.Ports;
using ConsentService.Application.Search;

namespace ConsentService.Application.Tests.Search;

public class SearchRequestParserTests
{
    private static ParsedSearch Parse(string type, bool strict, params (string Key, string Value)[] parameters) =>
        SearchRequestParser.Parse(type, parameters.Select(p => new KeyValuePair<string, string>(p.Key, p.Value)).ToList(), strict);

    private static ParsedSearch Consent(params (string, string)[] parameters) => Parse("Consent", false, parameters);

    private static SearchClause Single(ParsedSearch search) => Assert.Single(search.Query.Clauses);

    private static BadRequestException Rejected(string type, bool strict, params (string, string)[] parameters) =>
        Assert.Throws<BadRequestException>(() => Parse(type, strict, parameters));

    private static DateTimeOffset Utc(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) => new(y, mo, d, h, mi, s, TimeSpan.Zero);

    [Fact]
    public void Defaults_without_parameters()
    {
        var search = Consent();
        Assert.Equal(new SearchQuery("Consent", [], [], 20), search.Query with { Clauses = [], Sort = [] });
        Assert.Empty(search.Query.Clauses);
        Assert.Empty(search.Query.Sort);
        Assert.Empty(search.Warnings);
    }

    [Theory]
    [InlineData("active", null, "active", false)]
    [InlineData("http://sys|active", "http://sys", "active", false)]
    [InlineData("|active", null, "active", true)]
    [InlineData("http://sys|", "http://sys", null, false)]
    public void Token_forms(string raw, string? system, string? value, bool systemIsEmpty)
    {
        var clause = Single(Consent(("status", raw)));
        Assert.Equal(new SearchClause("status", SearchParamType.Token, clause.AnyOf), clause);
        Assert.Equal(new SearchValue(System: system, Value: value, SystemIsEmpty: systemIsEmpty), Assert.Single(clause.AnyOf));
    }

    [Fact]
    public void Comma_is_or_and_repetition_is_and()
    {
        var search = Consent(("purpose", "http://v3|MLTRAINING,http://v3|TRAIN"), ("purpose", "http://v3|HOPERAT"));
        Assert.Equal(2, search.Query.Clauses.Count);
        Assert.Equal(["MLTRAINING", "TRAIN"], search.Query.Clauses[0].AnyOf.Select(v => v.Value));
        Assert.Equal(["HOPERAT"], search.Query.Clauses[1].AnyOf.Select(v => v.Value));
    }

    [Fact]
    public void Escaped_separators_are_literal()
    {
        var value = Assert.Single(Single(Consent(("identifier", @"urn:a\|b|x\,y\\z"))).AnyOf);
        Assert.Equal(new SearchValue(System: "urn:a|b", Value: @"x,y\z"), value);
    }

    [Fact]
    public void Not_modifier_negates_a_token_clause()
    {
        var clause = Single(Consent(("status:not", "inactive,rejected")));
        Assert.True(clause.Negate);
        Assert.Equal(["inactive", "rejected"], clause.AnyOf.Select(v => v.Value));
    }

    [Theory]
    [InlineData("Patient/p1", "Patient/p1", false)]
    [InlineData("p1", "p1", true)]
    [InlineData("https://ehr.example/fhir/Patient/p1", "Patient/p1", false)]
    [InlineData("https://ehr.example/fhir/Patient/p1/_history/2", "Patient/p1", false)]
    public void Reference_forms(string raw, string value, bool idOnly)
    {
        var clause = Single(Consent(("patient", raw)));
        Assert.Equal(SearchParamType.Reference, clause.Type);
        Assert.Equal(new SearchValue(Value: value, MatchIdOnly: idOnly), Assert.Single(clause.AnyOf));
    }

    [Fact]
    public void Type_modifier_on_a_reference_qualifies_a_bare_id()
    {
        var clause = Single(Parse("ImagingStudy", true, ("subject:Group", "g1")));
        Assert.Equal(new SearchValue(Value: "Group/g1"), Assert.Single(clause.AnyOf));
    }

    [Fact]
    public void Identifier_modifier_searches_the_identifier_token_of_the_reference()
    {
        var clause = Single(Consent(("patient:identifier", "urn:mrn|M1")));
        Assert.Equal("patient", clause.Parameter);
        Assert.Equal(SearchParamType.Token, clause.Type);
        Assert.Equal(new SearchValue(System: "urn:mrn", Value: "M1"), Assert.Single(clause.AnyOf));
    }

    [Fact]
    public void Study_uid_identifier_search()
    {
        var clause = Single(Parse("ImagingStudy", true, ("identifier", "urn:dicom:uid|urn:oid:1.2.840.1")));
        Assert.Equal(new SearchValue(System: "urn:dicom:uid", Value: "urn:oid:1.2.840.1"), Assert.Single(clause.AnyOf));
    }

    [Theory]
    [InlineData("2020", DatePrefix.Eq)]
    [InlineData("eq2020", DatePrefix.Eq)]
    [InlineData("ne2020", DatePrefix.Ne)]
    [InlineData("gt2020", DatePrefix.Gt)]
    [InlineData("lt2020", DatePrefix.Lt)]
    [InlineData("ge2020", DatePrefix.Ge)]
    [InlineData("le2020", DatePrefix.Le)]
    public void Date_prefixes(string raw, DatePrefix prefix)
    {
        var value = Assert.Single(Single(Consent(("date", raw))).AnyOf);
        Assert.Equal(new SearchValue(Prefix: prefix, Low: Utc(2020, 1, 1), High: Utc(2021, 1, 1).AddTicks(-1)), value);
    }

    [Theory]
    [InlineData("2020-02", "2020-02-01T00:00:00Z", "2020-03-01T00:00:00Z")]
    [InlineData("2020-03-04", "2020-03-04T00:00:00Z", "2020-03-05T00:00:00Z")]
    [InlineData("2020-03-04T10:15:30+02:00", "2020-03-04T08:15:30Z", "2020-03-04T08:15:31Z")]
    [InlineData("2020-03-04T10:15:30 02:00", "2020-03-04T08:15:30Z", "2020-03-04T08:15:31Z")]
    [InlineData("2020-03-04T10:15:30Z", "2020-03-04T10:15:30Z", "2020-03-04T10:15:31Z")]
    [InlineData("2020-03-04T10:15Z", "2020-03-04T10:15:00Z", "2020-03-04T10:16:00Z")]
    [InlineData("2020-03-04T10:15:30.5-05:00", "2020-03-04T15:15:30.5Z", "2020-03-04T15:15:30.6Z")]
    public void Date_precision_gives_the_implicit_range(string raw, string low, string nextAfterHigh)
    {
        var value = Assert.Single(Single(Consent(("period", "ge" + raw))).AnyOf);
        Assert.Equal(DateTimeOffset.Parse(low), value.Low);
        Assert.Equal(DateTimeOffset.Parse(nextAfterHigh).AddTicks(-1), value.High);
        Assert.Equal(DatePrefix.Ge, value.Prefix);
    }

    [Fact]
    public void Id_and_last_updated()
    {
        var search = Consent(("_id", "c1,c2"), ("_lastUpdated", "gt2024-05-01T00:00:00Z"));
        Assert.Equal(new SearchClause("_id", SearchParamType.Token, search.Query.Clauses[0].AnyOf), search.Query.Clauses[0]);
        Assert.Equal(["c1", "c2"], search.Query.Clauses[0].AnyOf.Select(v => v.Value));
        Assert.Equal("_lastUpdated", search.Query.Clauses[1].Parameter);
        Assert.Equal(SearchParamType.Date, search.Query.Clauses[1].Type);
        Assert.Equal(DatePrefix.Gt, Assert.Single(search.Query.Clauses[1].AnyOf).Prefix);
    }

    [Fact]
    public void Sort_by_date_parameters_and_last_updated()
    {
        var search = Consent(("_sort", "-date,_lastUpdated"));
        Assert.Equal([new SortSpec("date", true), new SortSpec("_lastUpdated", false)], search.Query.Sort);
        Assert.Equal([new SortSpec("started", false)], Parse("ImagingStudy", true, ("_sort", "started")).Query.Sort);
    }

    [Fact]
    public void Unsupported_sort_is_a_warning_or_strict_400()
    {
        var search = Consent(("_sort", "status,-date"));
        Assert.Equal([new SortSpec("date", true)], search.Query.Sort);
        Assert.Contains("status", Assert.Single(search.Warnings));
        Assert.Contains("status", Rejected("Consent", true, ("_sort", "status")).Message);
    }

    [Fact]
    public void Paging_parameters()
    {
        var query = Consent(("_count", "50"), ("_offset", "100"), ("_snapshot", "123456789012")).Query;
        Assert.Equal((50, 100, 123456789012L, false), (query.Count, query.Offset, query.Snapshot, query.SummaryCount));
    }

    [Fact]
    public void Count_above_the_maximum_is_capped_with_a_warning()
    {
        var search = Consent(("_count", "5000"));
        Assert.Equal(SearchRequestParser.MaxCount, search.Query.Count);
        Assert.Contains("_count", Assert.Single(search.Warnings));
    }

    [Theory]
    [InlineData("_count", "0")]
    [InlineData("_summary", "count")]
    public void Count_only(string key, string value)
    {
        var query = Consent((key, value)).Query;
        Assert.True(query.SummaryCount);
        Assert.Equal(0, query.Count);
    }

    [Fact]
    public void Format_and_pretty_are_ignored_silently()
    {
        var search = Parse("Consent", true, ("_format", "xml"), ("_pretty", "true"));
        Assert.Empty(search.Query.Clauses);
        Assert.Empty(search.Warnings);
    }

    [Theory]
    [InlineData("foo", "x", "foo")]
    [InlineData("patient.name", "x", "patient.name")]
    [InlineData("_include", "Consent:patient", "_include")]
    [InlineData("category:text", "research", "category:text")]
    [InlineData("date:missing", "true", "date:missing")]
    [InlineData("patient:missing", "true", "patient:missing")]
    [InlineData("subject:Observation", "o1", "subject:Observation")]
    [InlineData("_summary", "true", "_summary")]
    [InlineData("_id:not", "x", "_id:not")]
    public void Unknown_parameters_and_modifiers_warn_when_lenient_and_fail_when_strict(string key, string value, string named)
    {
        var type = key.StartsWith("subject", StringComparison.Ordinal) ? "ImagingStudy" : "Consent";
        var lenient = Parse(type, false, (key, value), ("identifier", "urn:x|1"));
        Assert.Contains(named, Assert.Single(lenient.Warnings));
        Assert.Equal("identifier", Assert.Single(lenient.Query.Clauses).Parameter);

        Assert.Contains(named, Rejected(type, true, (key, value)).Message);
    }

    [Theory]
    [InlineData("date", "2020-13")]
    [InlineData("date", "2020-02-30")]
    [InlineData("date", "20200101")]
    [InlineData("date", "sa2020")]
    [InlineData("date", "xx2020")]
    [InlineData("date", "2020-01-01T25:00:00Z")]
    [InlineData("date", "2020-01-01T10:00:00+15:00")]
    [InlineData("period", "")]
    [InlineData("_lastUpdated", "yesterday")]
    [InlineData("_count", "-1")]
    [InlineData("_count", "ten")]
    [InlineData("_offset", "-5")]
    [InlineData("_snapshot", "1.5")]
    [InlineData("status", "")]
    [InlineData("status", "active,")]
    [InlineData("status", "|")]
    [InlineData("patient", "Patient/")]
    [InlineData("patient", "not an id")]
    [InlineData("_id", "a b")]
    [InlineData("_sort", "-")]
    [InlineData("_summary", "")]
    public void Malformed_values_are_rejected_even_when_lenient(string key, string value)
    {
        Assert.Contains($"'{key}'", Rejected("Consent", false, (key, value)).Message);
    }

    [Fact]
    public void Singletons_may_not_repeat()
    {
        Assert.Contains("_count", Rejected("Consent", false, ("_count", "1"), ("_count", "2")).Message);
    }

    [Fact]
    public void Unsearchable_resource_type_is_rejected()
    {
        Assert.Contains("Patient", Rejected("Patient", false).Message);
    }

    [Fact]
    public void Query_string_keeps_effective_parameters_and_replaces_paging()
    {
        var search = Consent(("patient", "Patient/p1"), ("purpose", "http://v3|MLTRAINING"), ("date", "ge2020-01-01T00:00:00+01:00"),
            ("unknown", "x"), ("_count", "10"), ("_offset", "30"), ("_format", "xml"), ("_sort", "-date,status"));

        Assert.Equal(
            "patient=Patient/p1&purpose=http:/" + "/v3%7CMLTRAINING&date=ge2020-01-01T00:00:00%2B01:00&_format=xml&_sort=-date&_count=10&_offset=30",
            search.ToQueryString());
        Assert.Equal(
            "patient=Patient/p1&purpose=http:/" + "/v3%7CMLTRAINING&date=ge2020-01-01T00:00:00%2B01:00&_format=xml&_sort=-date&_count=10&_offset=40&_snapshot=77",
            search.ToQueryString(offset: 40, snapshot: 77));
        Assert.Equal("_count=20", Consent().ToQueryString());
    }

    [Fact]
    public void A_rendered_query_string_parses_to_the_same_query()
    {
        var original = Consent(("status:not", "inactive"), ("actor", "Organization/v1,Practitioner/x"), ("period", "le2030"),
            ("_summary", "count"), ("_snapshot", "9"));
        var pairs = original.ToQueryString().Split('&')
            .Select(p => p.Split('=', 2))
            .Select(kv => new KeyValuePair<string, string>(Uri.UnescapeDataString(kv[0]), Uri.UnescapeDataString(kv[1])))
            .ToList();
        var reparsed = SearchRequestParser.Parse("Consent", pairs, strict: true);

        Assert.Equal(original.Query.Clauses.Count, reparsed.Query.Clauses.Count);
        for (var i = 0; i < original.Query.Clauses.Count; i++)
        {
            Assert.Equal(original.Query.Clauses[i].AnyOf, reparsed.Query.Clauses[i].AnyOf);
            Assert.Equal(original.Query.Clauses[i] with { AnyOf = [] }, reparsed.Query.Clauses[i] with { AnyOf = [] });
        }
        Assert.Equal((original.Query.Count, original.Query.SummaryCount, original.Query.Snapshot),
            (reparsed.Query.Count, reparsed.Query.SummaryCount, reparsed.Query.Snapshot));
    }
}
