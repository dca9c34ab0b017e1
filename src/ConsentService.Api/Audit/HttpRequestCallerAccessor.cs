using ConsentService.Api.Security;
using ConsentService.Application.Audit;
using ConsentService.Application.Security;

namespace ConsentService.Api.Audit;

/// <summary>The caller of the current HTTP request, built once per request from its validated token
/// (<see cref="RequestCallers.Caller"/>); anonymous outside a request.</summary>
public sealed class HttpRequestCallerAccessor(IHttpContextAccessor http) : IRequestCallerAccessor
{
    public RequestCaller Caller => http.HttpContext is { } context ? context.Caller() : RequestCaller.Anonymous;
}
