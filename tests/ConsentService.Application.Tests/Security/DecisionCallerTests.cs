using ConsentService.Application.Decisions;
using ConsentService.Application.Security;
using ConsentService.Domain.Decisions;

namespace ConsentService.Application.Tests.Security;

public sealed class DecisionCallerTests
{
    private static RequestCaller Vendor(string actor = "Organization/acme", IdentifierKey? identifier = null) =>
        new("vendor", actor, null, new HashSet<string> { ScopeNames.Decide }, IsAuthenticated: true) { ActorIdentifier = identifier };

    private static readonly RequestCaller Engine = new("engine", null, null, new HashSet<string> { ScopeNames.Decide }, IsAuthenticated: true);

    [Fact]
    public void Bound_callers_decide_only_as_their_actor()
    {
        Assert.Equal(("Organization/acme", (IdentifierValue?)null), DecisionCaller.Bind(Vendor(), null, null));
        Assert.Equal("Organization/acme", DecisionCaller.Bind(Vendor(), "Organization/acme", null).Actor);
        Assert.Throws<AccessDeniedException>(() => DecisionCaller.Bind(Vendor(), "Organization/other", null));
        Assert.Throws<AccessDeniedException>(() => DecisionCaller.Bind(Vendor("acme"), null, null));
        Assert.Throws<AccessDeniedException>(() => DecisionCaller.Bind(Vendor(), null, new IdentifierValue("s", "v")));
        var bound = Vendor(identifier: new IdentifierKey("s", "v"));
        Assert.Equal(new IdentifierValue("s", "v"), DecisionCaller.Bind(bound, null, null).ActorIdentifier);
        Assert.Throws<AccessDeniedException>(() => DecisionCaller.Bind(bound, null, new IdentifierValue("s", "w")));
        Assert.Equal("Organization/any", DecisionCaller.Bind(Engine, "Organization/any", new IdentifierValue("s", "v")).Actor);
        Assert.Throws<AccessDeniedException>(() => DecisionCaller.Bind(Engine with { Scopes = new HashSet<string>() }, "Organization/any", null));
    }

    [Fact]
    public void Vendor_view_drops_the_consent_reference_path_and_quoting_reasons()
    {
        var full = new DecisionResult("d", DecisionValues.Permit, DecisionValues.BasisConsent, "1.2.3", "ImagingStudy/s", "Organization/acme",
            new PurposeCoding("sys", "MLTRAINING"), "use", DateTimeOffset.UnixEpoch, "Consent/c/_history/2", "provision.provision[0]",
            ["quoted", "plain"], [], new PolicyRef("opt-in", "1"));
        Reason[] reasons = [new("quoted", QuotesConsent: true), new("plain", QuotesConsent: false)];
        var view = DecisionCaller.View(Vendor(), full, reasons);
        Assert.Null(view.Consent);
        Assert.Null(view.ProvisionPath);
        Assert.Equal([DecisionCaller.WithheldReason, "plain"], view.Reasons);
        Assert.Same(full, DecisionCaller.View(Engine, full, reasons));
    }
}
