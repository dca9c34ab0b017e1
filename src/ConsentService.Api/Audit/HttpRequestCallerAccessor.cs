using System.Security.Claims;
using ConsentService.Application.Audit;

namespace ConsentService.Api.Audit;

/// <summary>
/// The caller of the current HTTP request from its authenticated user: <c>client_id</c> (else <c>sub</c>),
/// <c>actor</c> and <c>patient</c> claims (a bare patient id, as SMART launch contexts give it, becomes
/// "Patient/&lt;id&gt;"). Unauthenticated requests are anonymous.
/// </summary>
public sealed class HttpRequestCallerAccessor(IHttpContextAccessor http) : IRequestCallerAccessor
{
    public RequestCaller Caller => From(http.HttpContext?.User);

    public static RequestCaller From(ClaimsPrincipal? user)
    {
        if (user?.Identity?.IsAuthenticated != true)
        {
            return RequestCaller.Anonymous;
        }
        var patient = Claim(user, "patient");
        if (patient is not null && !patient.Contains('/', StringComparison.Ordinal))
        {
            patient = "Patient/" + patient;
        }
        return new RequestCaller(Claim(user, "client_id") ?? Claim(user, "sub") ?? Claim(user, ClaimTypes.NameIdentifier), Claim(user, "actor"), patient);
    }

    private static string? Claim(ClaimsPrincipal user, string type) => user.FindFirst(type)?.Value is { Length: > 0 } value ? value : null;
}
