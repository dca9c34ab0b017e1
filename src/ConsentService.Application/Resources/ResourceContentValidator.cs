using ConsentService.Application.Consents;
using ConsentService.Application.Studies;
using FluentValidation;
using Hl7.Fhir.Model;

namespace ConsentService.Application.Resources;

/// <summary>A request that carries a resource to store; its content is checked by the type's business rules.</summary>
public interface IResourceWriteRequest
{
    Resource Resource { get; }
}

/// <summary>Applies the business rules of the resource's type (structure was checked by the strict parser).</summary>
public abstract class ResourceContentValidator<TRequest> : AbstractValidator<TRequest> where TRequest : IResourceWriteRequest
{
    protected ResourceContentValidator()
    {
        RuleFor(r => r.Resource).SetInheritanceValidator(rules =>
        {
            rules.Add(new ConsentRules());
            rules.Add(new ImagingStudyRules());
        });
    }
}

public sealed class CreateResourceValidator : ResourceContentValidator<CreateResourceCommand>;

public sealed class UpdateResourceValidator : ResourceContentValidator<UpdateResourceCommand>;
