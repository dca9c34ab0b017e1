using ConsentService.Application.Ports;
using static ConsentService.Stores.Tests.StoreTestData;

namespace ConsentService.Stores.Tests;

public abstract partial class ResourceStoreContract
{
    private async Task<string[]> SearchIds(params SearchClause[] clauses) =>
        Sorted(IdsOf(await Store.SearchAsync(Query(clauses), None)));

    // ---- token ----

    private async Task SeedTokens()
    {
        await Store.CreateAsync(Write("sys-a", [TokenEntry("category", "http://s1", "a")]), None);
        await Store.CreateAsync(Write("sys2-a", [TokenEntry("category", "http://s2", "a")]), None);
        await Store.CreateAsync(Write("nosys-a", [TokenEntry("category", null, "a")]), None);
        await Store.CreateAsync(Write("sys-b", [TokenEntry("category", "http://s1", "b")]), None);
        await Store.CreateAsync(Write("none"), None);
    }

    [Fact]
    public async Task Token_system_and_code_matches_exactly()
    {
        await SeedTokens();
        Assert.Equal(["sys-a"], await SearchIds(Token("category", "http://s1", "a")));
    }

    [Fact]
    public async Task Token_code_without_system_matches_any_system()
    {
        await SeedTokens();
        Assert.Equal(["nosys-a", "sys-a", "sys2-a"], await SearchIds(Token("category", null, "a")));
    }

    [Fact]
    public async Task Token_with_empty_system_matches_only_codes_without_system()
    {
        await SeedTokens();
        Assert.Equal(["nosys-a"], await SearchIds(Token("category", null, "a", systemIsEmpty: true)));
    }

    [Fact]
    public async Task Token_system_without_code_matches_any_code_of_the_system()
    {
        await SeedTokens();
        Assert.Equal(["sys-a", "sys-b"], await SearchIds(Token("category", "http://s1", null)));
    }

    [Fact]
    public async Task Token_values_of_a_clause_are_ored_and_clauses_are_anded()
    {
        await SeedTokens();
        var either = new SearchClause("category", SearchParamType.Token,
            [new SearchValue("http://s1", "b"), new SearchValue("http://s2", "a")]);
        Assert.Equal(["sys-b", "sys2-a"], await SearchIds(either));
        Assert.Equal(["sys-b"], await SearchIds(either, Token("category", "http://s1", null)));
    }

    [Fact]
    public async Task Token_parameter_name_is_part_of_the_match()
    {
        await SeedTokens();
        Assert.Empty(await SearchIds(Token("other", null, "a")));
    }

    [Fact]
    public async Task Negated_token_matches_resources_without_a_matching_value()
    {
        await SeedTokens();
        Assert.Equal(["none", "sys-b"], await SearchIds(Token("category", null, "a", negate: true)));
    }

    [Fact]
    public async Task Search_is_limited_to_the_query_type()
    {
        await Store.CreateAsync(Write("c1", [TokenEntry("status", null, "active")]), None);
        await Store.CreateAsync(Write("s1", [TokenEntry("status", null, "active")], type: Study), None);
        var page = await Store.SearchAsync(new SearchQuery(Study, [Token("status", null, "active")], [], 10), None);
        Assert.Equal(["s1"], IdsOf(page));
    }

    // ---- reference ----

    private async Task SeedReferences()
    {
        await Store.CreateAsync(Write("p", [ReferenceEntry("patient", "Patient/123")]), None);
        await Store.CreateAsync(Write("g", [ReferenceEntry("patient", "Group/123")]), None);
        await Store.CreateAsync(Write("q", [ReferenceEntry("patient", "Patient/1234")]), None);
    }

    [Fact]
    public async Task Reference_type_and_id_matches_that_type_only()
    {
        await SeedReferences();

        Assert.Equal(["p"], await SearchIds(Reference("patient", "Patient/123")));
        Assert.Equal(["g"], await SearchIds(Reference("patient", "Group/123")));
        Assert.Empty(await SearchIds(Reference("patient", "Device/123")));
    }

    [Fact]
    public async Task Reference_bare_id_matches_any_type()
    {
        await SeedReferences();

        Assert.Equal(["g", "p"], await SearchIds(Reference("patient", "123", idOnly: true)));
    }

    [Fact]
    public async Task Reference_by_identifier_is_searchable_as_token_on_the_same_parameter()
    {
        await Store.CreateAsync(Write("p", [TokenEntry("patient", "urn:mrn", "42")]), None);
        await Store.CreateAsync(Write("r", [ReferenceEntry("patient", "Patient/42")]), None);
        Assert.Equal(["p"], await SearchIds(Token("patient", "urn:mrn", "42")));
        Assert.Equal(["r"], await SearchIds(Reference("patient", "Patient/42")));
    }

    // ---- string ----

    [Fact]
    public async Task String_matches_entries_starting_with_the_value()
    {
        await Store.CreateAsync(Write("smith", [StringEntry("name", "smith")]), None);
        await Store.CreateAsync(Write("smithers", [StringEntry("name", "smithers")]), None);
        await Store.CreateAsync(Write("asmith", [StringEntry("name", "asmith")]), None);
        await Store.CreateAsync(Write("two", [StringEntry("name", "jones"), StringEntry("name", "smit")]), None);

        Assert.Equal(["smith", "smithers", "two"], await SearchIds(String("name", "smit")));
        Assert.Equal(["smithers"], await SearchIds(String("name", "smithe")));
        Assert.Empty(await SearchIds(String("name", "smithx")));
    }

    [Fact]
    public async Task String_value_with_pattern_characters_is_matched_literally()
    {
        await Store.CreateAsync(Write("star", [StringEntry("name", "a*b")]), None);
        await Store.CreateAsync(Write("plain", [StringEntry("name", "axb")]), None);
        await Store.CreateAsync(Write("percent", [StringEntry("name", "a%b_[c]?")]), None);

        Assert.Equal(["star"], await SearchIds(String("name", "a*")));
        Assert.Equal(["percent"], await SearchIds(String("name", "a%b_[c]?")));
        Assert.Empty(await SearchIds(String("name", "a?b")));
    }

    // ---- date ----

    /// <summary>jan: all of 2020-01; mar15: the day 2020-03-15; y2021: the year 2021; dec31: the day 2019-12-31;
    /// open: from 2020-01-10 with no end.</summary>
    private async Task SeedDates()
    {
        await Store.CreateAsync(Write("jan", [DateEntry("date", Utc(2020, 1, 1), Utc(2020, 2, 1).AddTicks(-1))]), None);
        await Store.CreateAsync(Write("mar15", [DayEntry("date", 2020, 3, 15)]), None);
        await Store.CreateAsync(Write("y2021", [DateEntry("date", Utc(2021, 1, 1), Utc(2022, 1, 1).AddTicks(-1))]), None);
        await Store.CreateAsync(Write("dec31", [DayEntry("date", 2019, 12, 31)]), None);
        await Store.CreateAsync(Write("open", [new SearchIndexEntry("date", SearchParamType.Date, null, null, Utc(2020, 1, 10), null)]), None);
        await Store.CreateAsync(Write("undated"), None);
    }

    [Theory]
    [InlineData(DatePrefix.Eq, "jan")]
    [InlineData(DatePrefix.Ne, "dec31,mar15,open,y2021")]
    [InlineData(DatePrefix.Gt, "mar15,open,y2021")]
    [InlineData(DatePrefix.Lt, "dec31")]
    [InlineData(DatePrefix.Ge, "jan,mar15,open,y2021")]
    [InlineData(DatePrefix.Le, "dec31,jan,open")]
    public async Task Date_prefixes_follow_range_semantics(DatePrefix prefix, string expected)
    {
        await SeedDates();
        // search value "2020-01": 2020-01-01T00:00Z .. 2020-01-31T23:59:59.9999999Z
        var ids = await SearchIds(Date("date", prefix, Utc(2020, 1, 1), Utc(2020, 2, 1).AddTicks(-1)));
        Assert.Equal(expected.Split(','), ids);
    }

    [Fact]
    public async Task Date_eq_on_a_day_inside_a_longer_range_does_not_match()
    {
        await SeedDates();
        Assert.Equal(["mar15"], await SearchIds(Date("date", DatePrefix.Eq, Utc(2020, 3, 15), Utc(2020, 3, 16).AddTicks(-1))));
        Assert.Empty(await SearchIds(Date("date", DatePrefix.Eq, Utc(2020, 1, 15), Utc(2020, 1, 16).AddTicks(-1))));
    }

    // ---- _id, _lastUpdated ----

    [Fact]
    public async Task Id_clause_matches_listed_ids_and_negates()
    {
        await Store.CreateAsync(Write("a"), None);
        await Store.CreateAsync(Write("b"), None);
        await Store.CreateAsync(Write("c"), None);
        await Store.CreateAsync(Write("a", type: Study), None);

        Assert.Equal(["a"], await SearchIds(Ids("a")));
        Assert.Equal(["a", "c"], await SearchIds(Ids("a", "c", "zz")));
        Assert.Equal(["b"], await SearchIds(Ids("a", "c") with { Negate = true }));
    }

    [Fact]
    public async Task Last_updated_clause_uses_the_version_timestamp()
    {
        var a = await Store.CreateAsync(Write("a"), None);
        await Task.Delay(20);
        var b = await Store.CreateAsync(Write("b"), None);
        await Task.Delay(20);
        var (c, _) = await Store.UpsertAsync(Write("c"), None);

        SearchClause LastUpdated(DatePrefix prefix, DateTimeOffset at) => new("_lastUpdated", SearchParamType.Date, [new SearchValue(Prefix: prefix, Low: at, High: at)]);

        Assert.Equal(["b", "c"], await SearchIds(LastUpdated(DatePrefix.Ge, b.LastUpdated)));
        Assert.Equal(["a"], await SearchIds(LastUpdated(DatePrefix.Lt, b.LastUpdated)));
        Assert.Equal(["b"], await SearchIds(LastUpdated(DatePrefix.Eq, b.LastUpdated)));
        Assert.Equal(["a", "c"], await SearchIds(LastUpdated(DatePrefix.Ne, b.LastUpdated)));
        Assert.Equal(["c"], await SearchIds(LastUpdated(DatePrefix.Gt, b.LastUpdated)));
        Assert.Equal(["a", "b"], await SearchIds(LastUpdated(DatePrefix.Le, b.LastUpdated)));
        Assert.Equal(["a", "c"], await SearchIds(LastUpdated(DatePrefix.Eq, b.LastUpdated) with { Negate = true }));
        Assert.True(a.LastUpdated < c.LastUpdated);
    }

    // ---- versions and deletes ----

    [Fact]
    public async Task Only_the_current_version_index_matches()
    {
        await Store.CreateAsync(Write("c1", [TokenEntry("status", null, "draft")]), None);
        await Store.UpsertAsync(Write("c1", [TokenEntry("status", null, "active")]), None);

        Assert.Empty(await SearchIds(Token("status", null, "draft")));
        var page = await Store.SearchAsync(Query(Token("status", null, "active")), None);
        Assert.Equal(2, page.Resources.Single().VersionId);
    }

    [Fact]
    public async Task Deleted_resources_never_match_until_recreated()
    {
        await Store.CreateAsync(Write("c1", [TokenEntry("status", null, "active")]), None);
        await Store.CreateAsync(Write("c2", [TokenEntry("status", null, "active")]), None);
        await Store.DeleteAsync(Consent, "c1", null, None);

        Assert.Equal(["c2"], await SearchIds(Token("status", null, "active")));
        Assert.Equal(["c2"], await SearchIds());
        Assert.Equal(["c2"], await SearchIds(Token("status", null, "x", negate: true)));
        Assert.Empty(await SearchIds(Ids("c1")));

        await Store.UpsertAsync(Write("c1", [TokenEntry("status", null, "active")]), None);
        Assert.Equal(["c1", "c2"], await SearchIds(Token("status", null, "active")));
    }

    // ---- sort and paging ----

    [Fact]
    public async Task Default_order_is_commit_sequence_of_the_current_version()
    {
        await Store.CreateAsync(Write("a"), None);
        await Store.CreateAsync(Write("b"), None);
        await Store.CreateAsync(Write("c"), None);
        await Store.UpsertAsync(Write("a"), None);

        Assert.Equal(["b", "c", "a"], IdsOf(await Store.SearchAsync(Query(), None)));
    }

    [Fact]
    public async Task Sort_by_last_updated_ascending_and_descending()
    {
        await Store.CreateAsync(Write("b"), None);
        await Task.Delay(5);
        await Store.CreateAsync(Write("a"), None);
        await Task.Delay(5);
        await Store.CreateAsync(Write("c"), None);
        await Task.Delay(5);
        await Store.UpsertAsync(Write("b"), None);

        Assert.Equal(["a", "c", "b"], IdsOf(await Store.SearchAsync(Query() with { Sort = [new SortSpec("_lastUpdated", false)] }, None)));
        Assert.Equal(["b", "c", "a"], IdsOf(await Store.SearchAsync(Query() with { Sort = [new SortSpec("_lastUpdated", true)] }, None)));
    }

    [Fact]
    public async Task Sort_by_date_parameter_uses_the_earliest_low_and_id_breaks_ties()
    {
        await Store.CreateAsync(Write("late", [DayEntry("date", 2022, 1, 1)]), None);
        await Store.CreateAsync(Write("early-multi", [DayEntry("date", 2023, 1, 1), DayEntry("date", 2019, 1, 1)]), None);
        await Store.CreateAsync(Write("mid-b", [DayEntry("date", 2020, 6, 1)]), None);
        await Store.CreateAsync(Write("mid-a", [DayEntry("date", 2020, 6, 1)]), None);
        await Store.CreateAsync(Write("other-param", [DayEntry("period", 2000, 1, 1)]), None);

        var asc = await Store.SearchAsync(Query(Date("date", DatePrefix.Ge, Utc(1900, 1, 1), Utc(1900, 1, 1))) with { Sort = [new SortSpec("date", false)] }, None);
        Assert.Equal(["early-multi", "mid-a", "mid-b", "late"], IdsOf(asc));
        var desc = await Store.SearchAsync(Query(Date("date", DatePrefix.Ge, Utc(1900, 1, 1), Utc(1900, 1, 1))) with { Sort = [new SortSpec("date", true)] }, None);
        Assert.Equal(["late", "mid-a", "mid-b", "early-multi"], IdsOf(desc));
    }

    [Fact]
    public async Task Count_and_offset_page_through_a_stable_order_with_the_total()
    {
        foreach (var id in new[] { "r1", "r2", "r3", "r4", "r5" })
            await Store.CreateAsync(Write(id, [TokenEntry("status", null, "active")]), None);
        await Store.CreateAsync(Write("x", [TokenEntry("status", null, "inactive")]), None);

        var seen = new List<string>();
        for (var offset = 0; offset < 6; offset += 2)
        {
            var page = await Store.SearchAsync(Query(Token("status", null, "active")) with { Count = 2, Offset = offset }, None);
            Assert.Equal(5, page.Total);
            Assert.Equal(offset < 4 ? 2 : 1, page.Resources.Count);
            seen.AddRange(IdsOf(page));
        }
        Assert.Equal(["r1", "r2", "r3", "r4", "r5"], seen);
    }

    [Fact]
    public async Task Summary_count_returns_the_total_only()
    {
        foreach (var id in new[] { "a", "b", "c" })
            await Store.CreateAsync(Write(id), None);
        var page = await Store.SearchAsync(Query() with { Count = 0, SummaryCount = true }, None);
        Assert.Equal(3, page.Total);
        Assert.Empty(page.Resources);
    }

    [Fact]
    public async Task Search_reports_the_snapshot_it_used()
    {
        await Store.CreateAsync(Write("a"), None);
        var page = await Store.SearchAsync(Query(), None);
        Assert.Equal(await Store.CurrentSequenceAsync(None), page.Snapshot);
    }

    [Fact]
    public async Task Paging_at_a_snapshot_is_stable_while_others_write()
    {
        var byId = new Dictionary<string, StoredResource>();
        foreach (var id in new[] { "r1", "r2", "r3", "r4", "r5", "r6" })
            byId[id] = await Store.CreateAsync(Write(id, [TokenEntry("status", null, "active")]), None);
        var query = Query(Token("status", null, "active")) with { Count = 3 };

        var page1 = await Store.SearchAsync(query, None);
        Assert.Equal(["r1", "r2", "r3"], IdsOf(page1));

        // others write concurrently: a delete on page 2, an update that moves a page-1 resource to the end
        // of the default order, an update that stops matching, and a new match
        await Task.WhenAll(
            Store.DeleteAsync(Consent, "r5", null, None),
            Store.UpsertAsync(Write("r1", [TokenEntry("status", null, "active")]), None),
            Store.UpsertAsync(Write("r4", [TokenEntry("status", null, "inactive")]), None),
            Store.CreateAsync(Write("r7", [TokenEntry("status", null, "active")]), None));

        var page2 = await Store.SearchAsync(query with { Offset = 3, Snapshot = page1.Snapshot }, None);
        Assert.Equal(["r4", "r5", "r6"], IdsOf(page2));
        Assert.Equal(6, page2.Total);
        Assert.Equal(page1.Snapshot, page2.Snapshot);
        Assert.Equal(byId["r4"], page2.Resources[0]);
        Assert.Equal(1, page2.Resources[1].VersionId);

        var fresh = await Store.SearchAsync(query with { Count = 10 }, None);
        Assert.Equal(["r1", "r2", "r3", "r6", "r7"], Sorted(IdsOf(fresh)));
        Assert.Equal(5, fresh.Total);
        Assert.True(fresh.Snapshot > page1.Snapshot);
    }
}
