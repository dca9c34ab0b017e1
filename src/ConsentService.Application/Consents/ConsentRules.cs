using ConsentService.Domain.Fhir;
using FluentValidation;
using Hl7.Fhir.Model;

namespace ConsentService.Application.Consents;

/// <summary>
/// Business rules a Consent must meet before it is stored, beyond R4 structure: what the decision engine needs
/// to read it without guessing. Locations are FHIRPath expressions.
/// </summary>
public sealed class ConsentRules : AbstractValidator<Consent>
{
    public ConsentRules()
    {
        RuleFor(c => c.Status).NotNull().WithMessage("A Consent needs a status.").OverridePropertyName("Consent.status");
        RuleFor(c => c.Scope).NotNull().WithMessage("A Consent needs a scope.").OverridePropertyName("Consent.scope");
        RuleFor(c => c.Category).NotEmpty().WithMessage("A Consent needs at least one category.").OverridePropertyName("Consent.category");
        RuleFor(c => c.Patient)
            .Must(p => p is not null && (!string.IsNullOrEmpty(p.Reference) || p.Identifier?.Value is { Length: > 0 }))
            .WithMessage("A Consent needs a patient (a reference or an identifier).")
            .OverridePropertyName("Consent.patient");
        RuleFor(c => c)
            .Must(c => c.Policy.Count > 0 || c.PolicyRule is not null)
            .WithMessage("ppc-1: a Consent needs a policy or a policyRule.")
            .OverridePropertyName("Consent.policyRule");
        RuleFor(c => c).Custom((consent, context) =>
        {
            if (consent.Provision is { } root)
            {
                CheckProvision(root, "Consent.provision", isRoot: true, context);
            }
        });
    }

    private static void CheckProvision(Consent.provisionComponent provision, string path, bool isRoot, ValidationContext<Consent> context)
    {
        if (!isRoot && provision.Type is null)
        {
            context.AddFailure($"{path}.type", "Every nested provision needs a type (permit or deny).");
        }
        CheckPeriod(provision.Period, $"{path}.period", context);
        CheckPeriod(provision.DataPeriod, $"{path}.dataPeriod", context);
        for (var i = 0; i < provision.Provision.Count; i++)
        {
            CheckProvision(provision.Provision[i], $"{path}.provision[{i}]", isRoot: false, context);
        }
    }

    private static void CheckPeriod(Period? period, string path, ValidationContext<Consent> context)
    {
        // Compared by their precision ranges: "2025" to "2025-06" is a valid period, "2026-01-01" to "2025" is not.
        if (period?.Start is { } start && period.End is { } end
            && FhirDateRange.TryParse(start, out var startLow, out _) && FhirDateRange.TryParse(end, out _, out var endHigh)
            && startLow > endHigh)
        {
            context.AddFailure($"{path}.start", "The period's start is after its end.");
        }
    }
}
