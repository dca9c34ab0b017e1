using ConsentService.Application.Ports;
using ConsentService.Application.Security;

namespace ConsentService.Application.Tests.Security;

public sealed class ScopeTests
{
    private static RequestCaller Caller(string scopes, string? patient = null, string? actor = null) =>
        new("client", actor, patient, new HashSet<string>(scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries)), IsAuthenticated: true);

    [Theory]
    [InlineData("system/Consent.cruds", ScopeContext.System, "Consent", ScopeInteractions.All)]
    [InlineData("system/Consent.rs", ScopeContext.System, "Consent", ScopeInteractions.Read | ScopeInteractions.Search)]
    [InlineData("user/ImagingStudy.c", ScopeContext.User, "ImagingStudy", ScopeInteractions.Create)]
    [InlineData("patient/AuditEvent.rs", ScopeContext.Patient, "AuditEvent", ScopeInteractions.Read | ScopeInteractions.Search)]
    [InlineData("system/Consent.read", ScopeContext.System, "Consent", ScopeInteractions.Read | ScopeInteractions.Search)]
    [InlineData("system/Consent.write", ScopeContext.System, "Consent", ScopeInteractions.Create | ScopeInteractions.Update | ScopeInteractions.Delete)]
    [InlineData("system/Consent.*", ScopeContext.System, "Consent", ScopeInteractions.All)]
    [InlineData("system/*.rs", ScopeContext.System, "*", ScopeInteractions.Read | ScopeInteractions.Search)]
    public void Smart_v1_and_v2_scopes_parse(string text, ScopeContext context, string type, ScopeInteractions interactions)
    {
        Assert.True(GrantedScope.TryParse(text, out var scope));
        Assert.Equal(new GrantedScope(context, type, interactions), scope);
    }

    [Theory]
    [InlineData("system/Consent.sr")]          // out of order
    [InlineData("system/Consent.rr")]          // repeated
    [InlineData("system/Consent.x")]           // unknown letter
    [InlineData("system/Consent.rs?category=a")] // v2 restriction: not honoured
    [InlineData("admin/Consent.rs")]           // unknown context
    [InlineData("system/consent.rs")]          // not a resource type name
    [InlineData("ai-training.decide")]
    [InlineData("openid")]
    [InlineData("system/.rs")]
    [InlineData("system/Consent.")]
    public void Malformed_or_restricted_scopes_grant_nothing(string text) =>
        Assert.False(GrantedScope.TryParse(text, out _));

    [Fact]
    public void Patient_scopes_grant_read_and_search_of_the_compartment_only()
    {
        var caller = Caller("patient/Consent.cruds", patient: "p1");
        Assert.Equal("p1", caller.AccessTo(ResourceScope.Read("Consent")).Patient);
        Assert.Equal("p1", caller.AccessTo(ResourceScope.Search("Consent")).Patient);
        Assert.True(caller.AccessTo(ResourceScope.Create("Consent")).IsDenied);
        Assert.True(caller.AccessTo(ResourceScope.Delete("Consent")).IsDenied);
        Assert.True(Caller("patient/Consent.rs").AccessTo(ResourceScope.Read("Consent")).IsDenied); // no patient claim
    }

    [Fact]
    public void A_system_scope_wins_over_a_patient_scope_and_vendor_bound_tokens_read_nothing()
    {
        Assert.Same(ResourceAccess.Full, Caller("patient/Consent.rs system/Consent.rs", patient: "p1").AccessTo(ResourceScope.Read("Consent")));
        Assert.True(Caller("system/*.cruds", actor: "Organization/acme").AccessTo(ResourceScope.Read("Consent")).IsDenied);
        Assert.True(RequestCaller.Anonymous.AccessTo(ResourceScope.Read("Consent")).IsDenied);
        Assert.Equal("system/Consent.rs", ResourceScope.ReadAndSearch("Consent").ToString());
    }

    [Fact]
    public void Constraining_a_search_ands_a_patient_clause()
    {
        var query = new SearchQuery("Consent", [new SearchClause("_id", SearchParamType.Token, [new SearchValue(Value: "x")])], [], 20);
        var constrained = PatientCompartment.Constrain(query, "p1");
        Assert.Equal(2, constrained.Clauses.Count);
        var clause = constrained.Clauses[^1];
        Assert.Equal(("patient", SearchParamType.Reference, "Patient/p1"), (clause.Parameter, clause.Type, clause.AnyOf.Single().Value));
        Assert.Same(query, PatientCompartment.Apply(ResourceAccess.Full, query));
    }

    [Theory]
    [InlineData("p1", "p1")]
    [InlineData("Patient/p1", "p1")]
    [InlineData("Patient/", null)]
    [InlineData("bad id!", null)]
    [InlineData("", null)]
    public void Patient_claims_normalise_to_an_id(string claim, string? expected) =>
        Assert.Equal(expected, ScopeNames.PatientId(claim));
}
