using ConsentService.Api.Errors;
using ConsentService.Application;
using ConsentService.Application.Security;
using Hl7.Fhir.Model;

namespace ConsentService.Api.Security;

/// <summary>
/// Answers a refused access (401 or 403) the one way errors are answered (OperationOutcome on /fhir, problem details
/// elsewhere) and hands it to <see cref="IAccessRefusalSink"/>. Logs name the endpoint's route pattern and the
/// rule, never the URL or the caller's identity (a URL may carry a patient id; the audit trail records who).
/// </summary>
public static partial class AccessRefusals
{
    public const string Realm = "consent-service";

    public static async System.Threading.Tasks.Task WriteAsync(HttpContext context, int status, string reason, string? bearerError = null)
    {
        var caller = context.Caller();
        var endpoint = EndpointName(context);
        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("ConsentService.Security");
        LogRefused(logger, status, endpoint, reason);
        var sink = context.RequestServices.GetRequiredService<IAccessRefusalSink>();
        try
        {
            await sink.RecordAsync(new AccessRefusal(endpoint, status, reason, caller, DateTimeOffset.UtcNow), context.RequestAborted);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogSinkFailed(logger, e.GetType().Name);
        }
        if (status == StatusCodes.Status401Unauthorized)
        {
            var challenge = bearerError is null ? $"Bearer realm=\"{Realm}\"" : $"Bearer realm=\"{Realm}\", error=\"{bearerError}\"";
            context.Response.OnStarting(() =>
            {
                context.Response.Headers.WWWAuthenticate = challenge;
                return System.Threading.Tasks.Task.CompletedTask;
            });
        }
        var code = status == StatusCodes.Status401Unauthorized ? OperationOutcome.IssueType.Login : OperationOutcome.IssueType.Forbidden;
        await ApiExceptionHandler.WriteAsync(context, status, code, [new ContentIssue("", reason)]);
    }

    /// <summary>"GET /fhir/Consent/{id}": the route pattern, not the request path.</summary>
    public static string EndpointName(HttpContext context) =>
        context.GetEndpoint() is RouteEndpoint route
            ? $"{context.Request.Method} /{route.RoutePattern.RawText?.Trim('/')}"
            : $"{context.Request.Method} (no endpoint)";

    [LoggerMessage(Level = LogLevel.Information, Message = "Access refused ({Status}) on {Endpoint}: {Reason}")]
    private static partial void LogRefused(ILogger logger, int status, string endpoint, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "The access refusal could not be recorded ({ErrorType})")]
    private static partial void LogSinkFailed(ILogger logger, string errorType);
}

/// <summary>A 403 raised inside a handler (another vendor's actor, a patient scope on type history): answered and
/// recorded like the policy's own refusals. Runs before <see cref="ApiExceptionHandler"/>.</summary>
public sealed class AccessDeniedExceptionHandler : Microsoft.AspNetCore.Diagnostics.IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not AccessDeniedException denied || httpContext.Response.HasStarted)
        {
            return false;
        }
        await AccessRefusals.WriteAsync(httpContext, StatusCodes.Status403Forbidden, denied.Message);
        return true;
    }
}
