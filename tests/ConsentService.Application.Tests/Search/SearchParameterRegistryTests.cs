using ConsentService.Application.Search;
using Hl7.Fhir.Model;
using SearchParamType = ConsentService.Application.Ports.SearchParamType;

namespace ConsentService.Application.Tests.Search;

public class SearchParameterRegistryTests
{
    public static TheoryData<string, string> Registered()
    {
        var data = new TheoryData<string, string>();
        foreach (var type in SearchParameterRegistry.ResourceTypes)
        foreach (var parameter in SearchParameterRegistry.For(type))
        {
            if (SearchParameterRegistry.CustomDefinition(parameter) is null) data.Add(type, parameter.Name);
        }
        return data;
    }

    [Fact]
    public void Custom_parameters_are_not_R4_ones_and_carry_their_definition_url()
    {
        var custom = SearchParameterRegistry.ResourceTypes.SelectMany(SearchParameterRegistry.For)
            .Where(p => SearchParameterRegistry.CustomDefinition(p) is not null).ToArray();
        var decision = Assert.Single(custom);
        Assert.Equal(("AuditEvent", "decision", SearchParamType.Token), (decision.ResourceType, decision.Name, decision.Type));
        Assert.DoesNotContain(ModelInfo.SearchParameters, p => p.Resource == "AuditEvent" && p.Code == "decision");
        Assert.StartsWith("urn:", SearchParameterRegistry.CustomDefinition(decision));
    }

    [Theory]
    [MemberData(nameof(Registered))]
    public void Matches_firely_r4_definition(string resourceType, string name)
    {
        Assert.True(SearchParameterRegistry.TryGet(resourceType, name, out var ours));
        var firely = Assert.Single(ModelInfo.SearchParameters, p => p.Resource == resourceType && p.Code == name);

        Assert.Equal(firely.Type.ToString(), ours.Type.ToString());
        // Shared R4 parameters (patient, identifier, date) have one expression for many types joined by '|';
        // ours is this type's branch of it.
        var branches = firely.Expression!.Split('|').Select(b => b.Trim()).Select(b => b.StartsWith('(') && b.EndsWith(')') ? b[1..^1] : b).ToArray();
        // A parameter that indexes several branches (AuditEvent.patient) lists them joined by '|' as R4 does.
        Assert.All(ours.Expression.Split('|').Select(b => b.Trim()), branch => Assert.Contains(branch, branches));
        if (ours.Type == SearchParamType.Reference)
        {
            var firelyTargets = firely.Target!.Select(t => t.ToString()).ToHashSet();
            Assert.NotEmpty(ours.TargetTypes);
            Assert.All(ours.TargetTypes, t => Assert.Contains(t, firelyTargets));
        }
        else Assert.Empty(ours.TargetTypes);
        Assert.False(string.IsNullOrWhiteSpace(ours.Description));
    }

    [Fact]
    public void Supported_parameters_are_exactly_the_specified_ones()
    {
        Assert.Equal(["AuditEvent", "Consent", "ImagingStudy"], SearchParameterRegistry.ResourceTypes.Order());
        Assert.Equal(["date", "type", "subtype", "action", "outcome", "agent", "entity", "patient", "source", "decision"],
            SearchParameterRegistry.For("AuditEvent").Select(p => p.Name));
        Assert.Equal(
            ["patient", "status", "purpose", "scope", "category", "date", "period", "actor", "action", "data", "security-label", "consentor", "organization", "source-reference", "identifier"],
            SearchParameterRegistry.For("Consent").Select(p => p.Name));
        Assert.Equal(["identifier", "patient", "subject", "modality", "bodysite", "started"], SearchParameterRegistry.For("ImagingStudy").Select(p => p.Name));
        Assert.Empty(SearchParameterRegistry.For("Patient"));
        Assert.All(SearchParameterRegistry.For("Consent"), p => Assert.Equal("Consent", p.ResourceType));
    }

    [Fact]
    public void Lookup_is_case_sensitive_and_per_type()
    {
        Assert.True(SearchParameterRegistry.TryGet("ImagingStudy", "modality", out _));
        Assert.False(SearchParameterRegistry.TryGet("Consent", "modality", out _));
        Assert.False(SearchParameterRegistry.TryGet("Consent", "Status", out _));
        Assert.Equal(["_id", "_lastUpdated"], SearchParameterRegistry.Common.Select(p => p.Name));
    }
}
