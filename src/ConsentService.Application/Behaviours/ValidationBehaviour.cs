using FluentValidation;
using MediatR;

namespace ConsentService.Application.Behaviours;

/// <summary>
/// Runs every FluentValidation validator registered for the request before its handler; any error stops the
/// request (422 for resource content, 400 for API requests), so a handler never sees invalid input.
/// Property names are reported as FHIRPath-like locations (validators name them so).
/// </summary>
public sealed class ValidationBehaviour<TRequest, TResponse>(IEnumerable<IValidator<TRequest>> validators)
    : IPipelineBehavior<TRequest, TResponse>
{
    private readonly IValidator<TRequest>[] _validators = validators.ToArray();

    public async Task<TResponse> Handle(TRequest request, CancellationToken cancellationToken, RequestHandlerDelegate<TResponse> next)
    {
        if (_validators.Length > 0)
        {
            var context = new ValidationContext<TRequest>(request);
            var issues = new List<ContentIssue>();
            foreach (var validator in _validators)
            {
                var result = await validator.ValidateAsync(context, cancellationToken).ConfigureAwait(false);
                foreach (var failure in result.Errors)
                {
                    issues.Add(new ContentIssue(Location(failure.PropertyName), failure.ErrorMessage,
                        failure.Severity != Severity.Error));
                }
            }
            if (issues.Exists(i => !i.IsWarning))
            {
                // Resource content that parses but breaks the rules is FHIR's 422; a JSON API request that breaks
                // its contract is a 400 naming the fields.
                throw request is Resources.IResourceWriteRequest
                    ? new UnprocessableContentException(issues)
                    : new InvalidRequestException(issues);
            }
        }
        return await next().ConfigureAwait(false);
    }

    // Child validators are attached to a request's "Resource" property; the location inside it is already a
    // FHIRPath expression rooted at the resource type (e.g. "Consent.provision.type").
    private static string Location(string propertyName) =>
        propertyName.StartsWith("Resource.", StringComparison.Ordinal) ? propertyName["Resource.".Length..] : propertyName;
}
