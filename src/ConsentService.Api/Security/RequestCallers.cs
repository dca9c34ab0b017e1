using System.Security.Claims;
using ConsentService.Application.Security;

namespace ConsentService.Api.Security;

/// <summary>The <see cref="RequestCaller"/> of a request, built once from its validated token's claims.</summary>
public static class RequestCallers
{
    public const string ClientIdClaim = "client_id";
    public const string SubjectClaim = "sub";
    public const string ScopeClaim = "scope";
    /// <summary>Entra ID and some others put scopes in <c>scp</c>.</summary>
    public const string ScpClaim = "scp";
    public const string ActorClaim = "actor";
    public const string ActorIdentifierClaim = "actor_identifier";
    public const string PatientClaim = "patient";

    /// <summary>The caller of this request (cached on the request).</summary>
    public static RequestCaller Caller(this HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Features.Get<RequestCallerFeature>() is { } feature)
        {
            return feature.Caller;
        }
        var caller = From(context.User);
        context.Features.Set(new RequestCallerFeature(caller));
        return caller;
    }

    public static RequestCaller From(ClaimsPrincipal? user)
    {
        if (user?.Identity is not { IsAuthenticated: true })
        {
            return RequestCaller.Anonymous;
        }
        var scopes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var claim in user.FindAll(ScopeClaim).Concat(user.FindAll(ScpClaim)))
        {
            scopes.UnionWith(claim.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }
        var actor = user.FindFirst(ActorClaim)?.Value;
        return new RequestCaller(
            ClientId: user.FindFirst(ClientIdClaim)?.Value ?? user.FindFirst(SubjectClaim)?.Value,
            // An actor claim that is present but empty still binds: it binds to nothing, so nothing is decided.
            Actor: actor is null ? null : actor.Trim(),
            Patient: ScopeNames.PatientId(user.FindFirst(PatientClaim)?.Value),
            Scopes: scopes,
            IsAuthenticated: true)
        {
            ActorIdentifier = IdentifierKey.Parse(user.FindFirst(ActorIdentifierClaim)?.Value),
        };
    }

    private sealed record RequestCallerFeature(RequestCaller Caller);
}
