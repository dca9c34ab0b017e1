using ConsentService.Application.Consents;
using ConsentService.Application.Studies;
using FluentValidation;
using Hl7.Fhir.Model;

namespace ConsentService.Application.Bundles;

/// <summary>A bundle must be a transaction or a batch of at most 10,000 entries. In a transaction every entry's
/// resource must pass its type's business rules up front (nothing is stored if one fails; locations name the
/// entry); batch entries are validated one by one as single interactions.</summary>
public sealed class ProcessBundleValidator : AbstractValidator<ProcessBundleCommand>
{
    public const int MaxEntries = 10_000;
    private static readonly ConsentRules Consents = new();
    private static readonly ImagingStudyRules Studies = new();

    public ProcessBundleValidator()
    {
        RuleFor(c => c.Bundle.Type)
            .Must(t => t is Bundle.BundleType.Transaction or Bundle.BundleType.Batch)
            .WithMessage("POST /fhir accepts a Bundle of type transaction or batch.")
            .OverridePropertyName("Bundle.type");
        RuleFor(c => c.Bundle.Entry.Count)
            .LessThanOrEqualTo(MaxEntries)
            .WithMessage($"A bundle may hold at most {MaxEntries} entries.")
            .OverridePropertyName("Bundle.entry");
        RuleFor(c => c.Bundle).Custom((bundle, context) =>
        {
            if (bundle.Type != Bundle.BundleType.Transaction || bundle.Entry.Count > MaxEntries)
            {
                return;
            }
            for (var i = 0; i < bundle.Entry.Count; i++)
            {
                var resource = bundle.Entry[i].Resource;
                var failures = resource switch
                {
                    Consent consent => Consents.Validate(consent).Errors,
                    ImagingStudy study => Studies.Validate(study).Errors,
                    _ => [],
                };
                foreach (var failure in failures)
                {
                    var location = failure.PropertyName.StartsWith(resource!.TypeName, StringComparison.Ordinal)
                        ? $"Bundle.entry[{i}].resource{failure.PropertyName[resource.TypeName.Length..]}"
                        : $"Bundle.entry[{i}].resource";
                    context.AddFailure(location, failure.ErrorMessage);
                }
            }
        });
    }
}
