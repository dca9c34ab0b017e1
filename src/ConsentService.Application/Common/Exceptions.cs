namespace ConsentService.Application;

/// <summary>Base of the failures the API maps to a status code (OperationOutcome on /fhir, problem details on /api).</summary>
public abstract class ServiceException(string message) : Exception(message);

/// <summary>404: no such resource (or, later, one the caller may not know exists).</summary>
public sealed class ResourceNotFoundException(string message) : ServiceException(message);

/// <summary>410: the resource existed and was deleted.</summary>
public sealed class ResourceGoneException(string message) : ServiceException(message);

/// <summary>409: the write clashes with existing state (id taken, unique key held by another resource).</summary>
public sealed class ResourceConflictException(string message) : ServiceException(message);

/// <summary>412: an If-Match version was stale, or a conditional create matched several resources.</summary>
public sealed class PreconditionFailedException(string message) : ServiceException(message);

/// <summary>400: the request itself is malformed (unparseable body, id/type mismatch, bad parameter).</summary>
public sealed class BadRequestException(string message) : ServiceException(message);

/// <summary>One problem found in submitted content.</summary>
/// <param name="Location">A FHIRPath expression for FHIR content (e.g. "Consent.provision.type"), or the JSON
/// property name for the decision API.</param>
public sealed record ContentIssue(string Location, string Message, bool IsWarning = false);

/// <summary>422: the content parses but is invalid (structure or business rules).</summary>
public sealed class UnprocessableContentException(IReadOnlyList<ContentIssue> issues)
    : ServiceException(issues.Count == 0 ? "Invalid content." : string.Join(" ", issues.Select(i => $"{i.Location}: {i.Message}")))
{
    public IReadOnlyList<ContentIssue> Issues { get; } = issues;
}

/// <summary>503: a dependency the answer needs (the store, the audit trail) is unavailable. Never a permit.</summary>
public sealed class ServiceUnavailableException(string message, Exception? inner = null) : ServiceException(message)
{
    public Exception? Dependency { get; } = inner;
}

/// <summary>400 with the fields at fault: a JSON API request that breaks its contract.</summary>
public sealed class InvalidRequestException(IReadOnlyList<ContentIssue> issues)
    : ServiceException(string.Join(" ", issues.Select(i => $"{i.Location}: {i.Message}")))
{
    public IReadOnlyList<ContentIssue> Issues { get; } = issues;
}
