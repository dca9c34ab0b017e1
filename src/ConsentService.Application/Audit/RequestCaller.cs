namespace ConsentService.Application.Audit;

/// <summary>
/// Who is calling, as the audit trail names them: the OAuth client (claim <c>client_id</c>, else <c>sub</c>),
/// the organisation the client is bound to (claim <c>actor</c>, e.g. "Organization/acme-ai") and the patient of a
/// patient-context token (claim <c>patient</c>). All null for an unauthenticated caller.
/// </summary>
public sealed record RequestCaller(string? ClientId, string? Actor, string? Patient)
{
    public static readonly RequestCaller Anonymous = new(null, null, null);

    public bool IsAnonymous => ClientId is null && Actor is null && Patient is null;
}

/// <summary>The caller of the request being handled (the Api supplies it from the authenticated user).</summary>
public interface IRequestCallerAccessor
{
    RequestCaller Caller { get; }
}

/// <summary>For hosts without HTTP requests (tests, tools): every caller is anonymous.</summary>
public sealed class AnonymousCallerAccessor : IRequestCallerAccessor
{
    public RequestCaller Caller => RequestCaller.Anonymous;
}
