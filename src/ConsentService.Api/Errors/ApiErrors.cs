using ConsentService.Api.Fhir;
using ConsentService.Application;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace ConsentService.Api.Errors;

/// <summary>413: the body exceeds the endpoint's limit.</summary>
public sealed class PayloadTooLargeException(string message) : ServiceException(message);

/// <summary>415: a body in a media type this server does not read.</summary>
public sealed class UnsupportedMediaTypeException(string message) : ServiceException(message);

/// <summary>405: the interaction exists but not for this resource.</summary>
public sealed class MethodNotAllowedException(string message) : ServiceException(message);

/// <summary>
/// The one mapping from failures to responses: OperationOutcome under /fhir, RFC 9457 problem details
/// elsewhere. Messages are the service's own (never raw exception text from a store or driver), and carry
/// no PHI: they name elements and parameters, not values.
/// </summary>
public sealed class ApiExceptionHandler(ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        var (status, code) = Classify(exception);
        if (status == StatusCodes.Status500InternalServerError)
        {
            logger.LogError("Unhandled {ExceptionType} on {Method} {Endpoint}", exception.GetType().Name, context.Request.Method,
                context.GetEndpoint()?.DisplayName ?? "unknown endpoint");
        }
        if (exception is ServiceUnavailableException unavailable)
        {
            // The dependency's own message may name data; log its type only.
            logger.LogError("Dependency unavailable ({DependencyError}) on {Endpoint}",
                unavailable.Dependency?.GetType().Name ?? "unknown", context.GetEndpoint()?.DisplayName ?? "unknown endpoint");
        }
        await WriteAsync(context, status, code, IssuesOf(exception, status)).ConfigureAwait(false);
        return true;
    }

    /// <summary>The issues an answer names: the content issues a failure carries, else its message (never the text of
    /// an unexpected exception).</summary>
    public static IReadOnlyList<ContentIssue> IssuesOf(Exception exception, int status) => exception switch
    {
        UnprocessableContentException { Issues.Count: > 0 } u => u.Issues,
        InvalidRequestException { Issues.Count: > 0 } i => i.Issues,
        _ => [new ContentIssue("", status == StatusCodes.Status500InternalServerError ? "An internal error occurred." : exception.Message)],
    };

    public static (int Status, OperationOutcome.IssueType Code) Classify(Exception exception) => exception switch
    {
        BadRequestException or InvalidRequestException => (400, OperationOutcome.IssueType.Invalid),
        Application.Security.AccessDeniedException => (403, OperationOutcome.IssueType.Forbidden),
        ResourceNotFoundException => (404, OperationOutcome.IssueType.NotFound),
        MethodNotAllowedException => (405, OperationOutcome.IssueType.NotSupported),
        ResourceConflictException => (409, OperationOutcome.IssueType.Conflict),
        ResourceGoneException => (410, OperationOutcome.IssueType.Deleted),
        PreconditionFailedException => (412, OperationOutcome.IssueType.Conflict),
        PayloadTooLargeException => (413, OperationOutcome.IssueType.TooCostly),
        UnsupportedMediaTypeException => (415, OperationOutcome.IssueType.NotSupported),
        UnprocessableContentException => (422, OperationOutcome.IssueType.Processing),
        ServiceUnavailableException => (503, OperationOutcome.IssueType.Transient),
        BadHttpRequestException { StatusCode: 413 } => (413, OperationOutcome.IssueType.TooCostly),
        BadHttpRequestException b => (b.StatusCode, OperationOutcome.IssueType.Invalid),
        _ => (500, OperationOutcome.IssueType.Exception),
    };

    public static Task WriteAsync(HttpContext context, int status, OperationOutcome.IssueType code, IReadOnlyList<ContentIssue> issues)
    {
        if (context.Response.HasStarted)
        {
            return Task.CompletedTask;
        }
        context.Response.Clear();
        context.Response.StatusCode = status;
        if (context.Request.Path.StartsWithSegments("/fhir"))
        {
            return FhirResponses.WriteOutcomeAsync(context, Outcomes.From(code, issues));
        }
        var problem = new ProblemDetails
        {
            Status = status,
            Title = ReasonPhrase(status),
            Detail = string.Join(" ", issues.Where(i => !i.IsWarning).Select(i => i.Message)),
            Type = $"https://httpstatuses.io/{status}",
            Instance = context.Request.Path,
        };
        var errors = issues.Where(i => i.Location.Length > 0)
            .GroupBy(i => i.Location).ToDictionary(g => g.Key, g => g.Select(i => i.Message).ToArray());
        if (errors.Count > 0)
        {
            problem.Extensions["errors"] = errors;
        }
        return context.Response.WriteAsJsonAsync(problem, (System.Text.Json.JsonSerializerOptions?)null, "application/problem+json");
    }

    private static string ReasonPhrase(int status) =>
        Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : "Error";
}

/// <summary>Builds OperationOutcomes.</summary>
public static class Outcomes
{
    public static OperationOutcome From(OperationOutcome.IssueType code, IEnumerable<ContentIssue> issues)
    {
        var outcome = new OperationOutcome();
        foreach (var issue in issues)
        {
            var entry = new OperationOutcome.IssueComponent
            {
                Severity = issue.IsWarning ? OperationOutcome.IssueSeverity.Warning : OperationOutcome.IssueSeverity.Error,
                Code = issue.IsWarning ? OperationOutcome.IssueType.Informational : code,
                Diagnostics = issue.Message,
            };
            if (issue.Location.Length > 0)
            {
                entry.Expression = [issue.Location];
            }
            outcome.Issue.Add(entry);
        }
        return outcome;
    }
}
